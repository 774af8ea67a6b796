import { createReadStream, statSync } from "node:fs";
import type { Soquy } from "./context.js";
import { importerToken, importStatement, parseOpeningDong, type ImportSummary } from "./db/bankimports.js";
import { reconcile } from "./db/reconcile.js";
import { reconciliationCsv } from "../reports/reconcile.js";
import { LedgerError } from "./ledger/codes.js";

// The bank commands of the CLI (import-bank, reconcile), kept apart from
// src/cli.ts, which only wires their options and names in.

type Opts = Record<string, string | boolean | undefined>;

export const bankUsage = `  import-bank --committee <code> --campaign <code> --bank-account <no> --layout vcb|agribank|vietinbank|<saved> --file <path> [--opening-balance <đồng>]
                                                      import a bank statement; prints the summary (exit 2 when refused)
  reconcile --committee <code> --bank-account <no> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format text|csv]
                                                      matched, only-in-bank and only-in-ledger transfers, bank and ledger balances`;

export const bankOptions = {
  "bank-account": { type: "string" }, layout: { type: "string" }, file: { type: "string" }, "opening-balance": { type: "string" },
} as const;

function required(o: Opts, name: string): string {
  const v = o[name];
  if (typeof v !== "string" || v.trim() === "") throw new LedgerError("validation_failed", `--${name} is required`, name);
  return v.trim();
}

async function committeeOf(s: Soquy, o: Opts) {
  const c = await s.store.findCommittee(required(o, "committee"));
  if (!c) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
  return c;
}

export function summaryLines(x: ImportSummary): string[] {
  return [
    `import ${x.id}: ${x.layout} statement of account ${x.bankAccount} into campaign ${x.campaign} (${x.firstDate ?? "-"} to ${x.lastDate ?? "-"})`,
    `lines read         ${x.linesRead}`,
    `recorded           ${x.recorded} (${x.donations} donations, ${x.fees} bank fees)`,
    `already present    ${x.alreadyPresent}`,
    `matched            ${x.matched} (recorded by hand before)`,
    `to classify        ${x.toClassify}`,
    `balance checks     ${x.balanceChecks} passed`,
    `opening / closing  ${x.openingDong ?? "-"} / ${x.closingDong ?? "-"} đồng`,
    `file sha256        ${x.fileSha256}`,
  ];
}

async function importBank(s: Soquy, o: Opts): Promise<number> {
  const committee = await committeeOf(s, o);
  const campaign = await s.ledger.campaign(committee.id, required(o, "campaign"));
  const file = required(o, "file");
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new LedgerError("validation_failed", `cannot read --file ${file}`, "file");
  }
  const opening = typeof o["opening-balance"] === "string" ? parseOpeningDong(o["opening-balance"], "opening-balance") : null;
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let lastDraw = 0;
  let bytes = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  // Counted as the import reads (a "data" listener would start the flow before the import listens).
  const input = (async function* () {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
  const summary = await importStatement(s.db.knex, {
    committee, campaign, bankAccountNo: required(o, "bank-account"), layout: required(o, "layout"), openingDong: opening,
    recordedBy: await importerToken(s.db.knex, committee.id), input, format: /\.xlsx$/i.test(file) ? "xlsx" : "csv",
    onProgress: ({ phase, done, total }) => {
      const now = performance.now();
      if (!tty || now - lastDraw < 200) return;
      lastDraw = now;
      const secs = (now - started) / 1000;
      const rate = done / Math.max(secs, 0.001);
      const share = phase === "reading" ? bytes / Math.max(size, 1) : total ? done / total : 0;
      const width = 30;
      const bar = "#".repeat(Math.round(share * width)).padEnd(width, ".");
      const eta = share > 0 ? ` ETA ${Math.round(((phase === "reading" ? secs : secs) * (1 - share)) / share)} s` : "";
      process.stderr.write(`\r${phase.padEnd(7)} [${bar}] ${done.toLocaleString("en-US")} lines, ${Math.round(rate).toLocaleString("en-US")} lines/s${eta}   `);
    },
  });
  if (tty) process.stderr.write("\n");
  for (const l of summaryLines(summary)) console.log(l);
  return 0;
}

async function reconcileCommand(s: Soquy, o: Opts): Promise<number> {
  const committee = await committeeOf(s, o);
  const r = await reconcile(s.db.knex, committee.id, required(o, "bank-account"), {
    from: o.from as string | undefined, to: o.to as string | undefined,
  });
  if (o.format === "csv") {
    process.stdout.write(reconciliationCsv(r));
    return 0;
  }
  console.log(`bank account ${r.bankAccount}, ${r.from ?? "start"} to ${r.to ?? "today"}`);
  console.log(`bank balance   ${r.bankBalanceDong ?? "unknown (no opening balance recorded)"}`);
  console.log(`ledger balance ${r.ledgerBalanceDong ?? "unknown"}`);
  console.log(`difference     ${r.differenceDong ?? "-"} = only in bank ${r.onlyInBankDong} − only in ledger ${r.onlyInLedgerDong}`);
  console.log(`matched ${r.matched.length}, recorded by import ${r.recordedByImport}, only in bank ${r.onlyInBank.length}, only in ledger ${r.onlyInLedger.length}`);
  for (const m of r.matched) console.log(`matched\t${m.date}\t${m.amountDong}\tline ${m.lineNo}\t${m.docRef}\tentry ${m.entrySeq}\t${m.ledgerDate}\t${m.donorName}`);
  for (const b of r.onlyInBank) console.log(`only in bank\t${b.date}\t${b.direction === "C" ? "" : "-"}${b.amountDong}\tline ${b.lineNo}\t${b.docRef}\t${b.kind}\t${b.memo.replace(/\s+/g, " ")}`);
  for (const l of r.onlyInLedger) console.log(`only in ledger\t${l.date}\t${l.amountDong}\tentry ${l.entrySeq}\t${l.bankReference ?? ""}\t${l.donorName}`);
  return 0;
}

export const bankCommands: Record<string, (s: Soquy, o: Opts) => Promise<number>> = {
  "import-bank": importBank,
  reconcile: reconcileCommand,
};
