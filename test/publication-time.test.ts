import { expect } from "chai";
import { makeCommittee, meta, testSoquy, uniqueCode } from "./support/db.js";

// A committee's first publication: its publication row used to be dated with the clock rounded to the
// millisecond, up to half a millisecond ahead of it, and the publication was then refused as "dated
// after now" when the check ran within that half millisecond. It came up as a flaky refusal of the
// first verification in several suites; here many first publications in a row, none refused.
describe("a committee's first publication", () => {
  it("is never dated ahead of the clock (25 fresh committees, each verifying its first entry)", async () => {
    const s = await testSoquy();
    for (let i = 0; i < 25; i++) {
      const c = await makeCommittee(s, "Ủy ban MTTQ xã Lần Đầu");
      const code = uniqueCode("FIRST").toUpperCase();
      await s.ledger.createCampaign(c.principals.treasurer, { code, name: "Quỹ", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
      const e = await s.ledger.recordDonation(c.principals.treasurer, code, { receivedOn: "2024-01-05", amountDong: "10000", method: "cash",
        donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } }, meta());
      const [outcome] = await s.controls.verify(c.principals.approver, [e.entry.id]);
      expect(outcome, JSON.stringify(outcome)).to.include({ ok: true });
      const { rows } = await s.db.knex.raw("select published_at <= clock_timestamp() as behind, published_at = date_trunc('milliseconds', published_at) as whole from public_heads where committee_id = ?", [c.committee.id]);
      expect(rows[0]).to.deep.equal({ behind: true, whole: true });
    }
  });
});
