import { createHash } from "node:crypto";
import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { checkStatement, parseCsv } from "../src/public/check.js";
import { importPublicKey } from "../src/public/signing.js";
import { counterpartyV1, describeV1 } from "../src/ledger/mask.js";
import { csvColumns } from "../src/statements/csv.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee, testOwnerKnex } from "./support/db.js";
import { testAppUnlimited } from "./support/http.js";

// Statements already signed keep their bytes. Masking by the current rules
// changes a public statement's bytes, so the format is versioned: a statement
// cut at a publication made before the switch (migration 0030 records, per
// committee, the last publication it had) is format v1, byte for byte as
// before, and its checkpoint still matches it; one cut at a later publication
// is v2 (named in the opening row and in the checkpoint) and masked.

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on("data", (d: Buffer) => chunks.push(d));
  res.on("end", () => cb(null, Buffer.concat(chunks)));
};

describe("statement formats: v1 bytes kept for publications before the switch, v2 after", () => {
  let app: Express;
  let s: Soquy;
  let c: TestCommittee;
  const code = uniqueCode("FMT").toUpperCase();
  const ids: string[] = [];
  const csvAt = async (at: number) =>
    (await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).query({ committee: c.committee.code, at }).buffer(true).parse(binary).expect(200)).body as Buffer;
  const sign = async () => (await request(app).post("/api/v1/checkpoints").set("Authorization", `Bearer ${c.tokens.approver}`).send({}).expect(201)).body;
  const verifyAll = async (list: string[]) => {
    const res = await request(app).post("/api/v1/entries/verify").set("Authorization", `Bearer ${c.tokens.approver}`).send({ ids: list });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  };
  const check = (bytes: Buffer, checkpoint: { payload: never; signature: string; keyId: string }) =>
    checkStatement(bytes, checkpoint, importPublicKey(s.signer().info.publicKey), s.signer().info.keyId);

  before(async () => {
    ({ app, s } = await testAppUnlimited());
    c = await makeCommittee(s);
    const t = c.principals.treasurer;
    await s.ledger.createCampaign(t, { code, name: "Quỹ Vì người nghèo 2024", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    ids.push((await s.ledger.recordDonation(t, code, {
      receivedOn: "2024-03-01", amountDong: "10000000", method: "cash", donor: { name: "Lê Thị Kín", kind: "individual", publishName: false },
      description: "Nhận qua LÊ THỊ KÍN, sđt 0912  345  678, ngày 01/03/2024",
    }, meta())).entry.id);
    ids.push((await s.ledger.recordDisbursement(t, code, {
      paidOn: "2024-03-05", amountDong: "2000000", method: "cash", purpose: "livelihood",
      beneficiary: { name: "Trần Văn Nghèo", category: "poor", area: "Khu phố 1" },
      description: "Chi hỗ trợ tran van ngheo, nhận thay: Lê Thị Kín 0912/345/678",
    }, meta())).entry.id);
    await verifyAll(ids);
    // What migration 0030 records for a committee that existed when it ran: v1 up to its last publication.
    await (await testOwnerKnex())("statement_formats").insert({ committee_id: c.committee.id, v1_through_vseq: 2 });
  });

  it("keeps a statement cut before the switch in format v1, byte for byte, and its checkpoint matches it", async () => {
    const checkpoint = await sign();
    const signed = checkpoint.payload.campaigns.find((x: { code: string }) => x.code === code).statement;
    expect(signed.format).to.equal("soquy-statement/1");
    const bytes = await csvAt(2);
    expect(createHash("sha256").update(bytes).digest("hex")).to.equal(signed.digest);
    const report = check(bytes, checkpoint);
    expect(report.ok, report.problems.join("\n")).to.equal(true);
    expect(report.passed).to.include("statement format soquy-statement/1, as signed");

    // The v1 cells, rebuilt here by format v1's rules from the auditor's statement at the same publication.
    const rows = parseCsv(bytes.toString("utf8").slice(1));
    expect(rows[0]).to.deep.equal([...csvColumns]);
    expect(rows[1]![2], "v1's opening row has no format").to.equal("");
    const auditor = parseCsv((await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).query({ audience: "auditor", at: 2 })
      .set("Authorization", `Bearer ${c.tokens.auditor}`).buffer(true).parse(binary).expect(200)).body.toString("utf8").slice(1));
    const parties = [
      { donorName: "Lê Thị Kín", publishName: false, beneficiaryName: null, area: null },
      { donorName: null, publishName: null, beneficiaryName: "Trần Văn Nghèo", area: "Khu phố 1" },
    ];
    for (const [i, p] of parties.entries()) {
      expect(rows[2 + i]![7]).to.equal(describeV1(auditor[2 + i]![7]!, p, "public"));
      expect(rows[2 + i]![8]).to.equal(counterpartyV1(p, "public"));
    }
    // v1's rules as they were: the capitals and the double-spaced phone went out unmasked.
    expect(rows[2]![7]).to.equal("Nhận qua LÊ THỊ KÍN, sđt 0912  345  678, ngày 01/03/2024");

    // The same publication gives the same bytes later, whatever is published since.
    const more = await s.ledger.recordDonation(c.principals.treasurer, code, {
      receivedOn: "2024-03-06", amountDong: "1000000", method: "cash", donor: { name: "Lê Thị Kín", kind: "individual", publishName: false },
      description: "Lần hai: le thi kin, email kin@example.vn",
    }, meta());
    await verifyAll([more.entry.id]);
    expect((await csvAt(2)).equals(bytes)).to.equal(true);
  });

  it("cuts later publications in format v2, masked, named in the opening row and in the checkpoint", async () => {
    const checkpoint = await sign();
    expect(checkpoint.payload.publication.number).to.equal(3);
    const signed = checkpoint.payload.campaigns.find((x: { code: string }) => x.code === code).statement;
    expect(signed.format).to.equal("soquy-statement/2");
    const bytes = await csvAt(3);
    const report = check(bytes, checkpoint);
    expect(report.ok, report.problems.join("\n")).to.equal(true);
    const rows = parseCsv(bytes.toString("utf8").slice(1));
    expect(rows[0]).to.deep.equal([...csvColumns]);
    expect(rows[1]![2]).to.equal("soquy-statement/2");
    expect(rows.slice(2, -1).map((r) => [r[7], r[8]])).to.deep.equal([
      ["Nhận qua Nhà hảo tâm, sđt *******678, ngày 01/03/2024", "Nhà hảo tâm"],
      ["Chi hỗ trợ T.V.N., nhận thay: Nhà hảo tâm *******678", "T.V.N. (Khu phố 1)"],
      ["Lần hai: Nhà hảo tâm, email ***@***", "Nhà hảo tâm"],
    ]);
    // A v2 file checked against a checkpoint that signed v1 is told apart by its format too.
    const old = (await request(app).get(`/api/v1/public/committees/${c.committee.code}/checkpoints`).expect(200)).body.items.at(-1);
    const mixed = check(bytes, old);
    expect(mixed.ok).to.equal(false);
    expect(mixed.problems.join("\n")).to.contain("the statement is in format soquy-statement/2, the checkpoint signed soquy-statement/1");
  });

  it("reads a checkpoint without a format as v1 (signed before formats were named)", async () => {
    const bytes = await csvAt(2);
    const checkpoint = (await request(app).get(`/api/v1/public/committees/${c.committee.code}/checkpoints`).expect(200)).body.items.at(-1);
    const campaign = checkpoint.payload.campaigns.find((x: { code: string }) => x.code === code);
    delete campaign.statement.format;
    const report = check(bytes, checkpoint); // the signature no longer holds (the payload changed); the format does
    expect(report.passed).to.include("statement format soquy-statement/1, as signed");
  });

  it("starts a committee made after the switch in v2 from its first publication", async () => {
    const fresh = await makeCommittee(s);
    expect(await s.statements.statementFormat(fresh.committee.id, 1)).to.equal("soquy-statement/2");
    expect(await s.statements.statementFormat(c.committee.id, 2)).to.equal("soquy-statement/1");
    expect(await s.statements.statementFormat(c.committee.id, 3)).to.equal("soquy-statement/2");
    let error: unknown = null;
    try {
      await (await testOwnerKnex())("statement_formats").where({ committee_id: c.committee.id }).update({ v1_through_vseq: 3 });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.contain("append-only");
  });
});
