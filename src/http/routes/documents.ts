import { z } from "zod";
import type { Soquy } from "../../context.js";
import { Documents } from "../../documents/service.js";
import { sendConfirmation, sendPaymentVoucher, sendSignList } from "../../documents/send.js";
import { purposes } from "../../ledger/types.js";
import { allRoles, defineRoute } from "../route.js";
import { codeParams, idParams, isoDate } from "../schemas.js";

// The committee's printed forms for a token of the committee (or a workspace session, which the API accepts
// for reads): the phiếu chi of a cash disbursement, the giấy xác nhận of a donation, the danh sách ký nhận of a
// distribution as recorded. Internal documents: never public, another committee's entry or campaign is 404.

const signListQuery = z.strictObject({
  date: isoDate.meta({ description: "The day of the distribution (the disbursements' document date)" }),
  area: z.string().trim().min(1).max(100).optional().meta({ description: "Only the households of this area (khu phố / ấp)" }),
  purpose: z.enum(purposes).optional().meta({ description: "Only payments of this purpose (gift_package for a gift distribution)" }),
});

export function documentRoutes(s: Soquy) {
  const documents = () => new Documents(s.store, s.db.knex);
  const pdf = { 200: { description: "The PDF, in Vietnamese" } };
  return [
    defineRoute({
      method: "get", path: "/entries/:id/payment-voucher.pdf", tag: "Documents", summary: "Print the payment voucher (phiếu chi) of a cash disbursement",
      roles: allRoles, params: idParams, produces: ["application/pdf"],
      responses: {
        ...pdf, 404: { description: "No such entry in this committee" },
        409: { description: "document_not_applicable: the entry is not a cash disbursement (paid by bank or in kind, or not a disbursement)" },
      },
      async handle({ principal, params, res }) {
        await sendPaymentVoucher(res, await documents().paymentVoucher(principal, params.id));
        return null;
      },
    }),
    defineRoute({
      method: "get", path: "/entries/:id/confirmation.pdf", tag: "Documents",
      summary: "Print a confirmation (giấy xác nhận) that a donation was received, for the donor",
      roles: allRoles, params: idParams, produces: ["application/pdf"],
      responses: {
        ...pdf, 404: { description: "No such entry in this committee" },
        409: { description: "document_not_applicable: the entry is not a donation, or it was reversed" },
      },
      async handle({ principal, params, res }) {
        await sendConfirmation(res, await documents().confirmation(principal, params.id));
        return null;
      },
    }),
    defineRoute({
      method: "get", path: "/campaigns/:code/sign-list.pdf", tag: "Documents",
      summary: "Print the signing list (danh sách ký nhận) of a distribution: the campaign's disbursements of one day",
      roles: allRoles, params: codeParams, query: signListQuery, produces: ["application/pdf"],
      responses: { ...pdf, 404: { description: "No such campaign, or no unreversed disbursement of it that day" } },
      async handle({ principal, params, query, res }) {
        await sendSignList(res, await documents().recordedSignList(principal, params.code, query));
        return null;
      },
    }),
  ];
}
