import type { Response } from "express";
import { renderConfirmationPdf, type ConfirmationData } from "../../reports/confirmation.js";
import { renderPaymentVoucherPdf, type PaymentVoucherData } from "../../reports/paymentvoucher.js";
import { renderSignListPdf, type SignListData } from "../../reports/signlist.js";

// A form's PDF as the API and the workspace send it: inline, named after what it is, and never kept by a cache
// (these documents name households and donors).

async function send(res: Response, filename: string, render: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  res.status(200).type("application/pdf");
  res.setHeader("Content-Disposition", `inline; filename="${filename}"`);
  res.setHeader("Cache-Control", "no-store");
  await render(res);
}

/** Letters and digits of a name without its diacritics, for a file name: "Khu phố 3" → "khu-pho-3". */
export function slug(s: string): string {
  return s.normalize("NFD").replace(/\p{M}/gu, "").replace(/[đĐ]/g, "d").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
}

export function sendPaymentVoucher(res: Response, v: PaymentVoucherData): Promise<void> {
  return send(res, `phieu-chi-${v.voucherNumber}.pdf`, (out) => renderPaymentVoucherPdf(v, out));
}

export function sendConfirmation(res: Response, c: ConfirmationData): Promise<void> {
  return send(res, `giay-xac-nhan-${c.sequence}.pdf`, (out) => renderConfirmationPdf(c, out));
}

export function sendSignList(res: Response, d: SignListData): Promise<void> {
  const name = ["danh-sach-ky-nhan", d.campaignCode, d.date, d.area ? slug(d.area) : "", d.state.kind === "planned" ? "du-kien" : ""].filter(Boolean).join("-");
  return send(res, `${name}.pdf`, (out) => renderSignListPdf(d, out));
}
