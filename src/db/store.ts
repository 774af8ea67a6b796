import { isUuid } from "../ledger/ids.js";
import { storeError } from "./sqlstates.js";
import { createPerson } from "./users.js";
import { PublicQueries } from "./public.js";
import type { Knex } from "knex";
import { wordVariantsOf } from "./settings.js";
import { assert } from "../ledger/assert.js";
import { campaignAccounts, committeeAccounts } from "../ledger/chart.js";
import { distributionDeadline } from "../ledger/earmarks.js";
import { LedgerError, fail } from "../ledger/codes.js";
import type {
  AccountBalance, Approvals, BatchContextData, EntryLinks, BatchQuery, CampaignFigures, CampaignUse, NewPledge, PeriodClose, Pledge, EntryFilter, EntryRow, IdempotentResponse, LedgerStore, LockedLedger, NewCampaign, VerificationTx,
  StoredResponse, ImportReversalTx, ImportToReverse,
} from "../ledger/store.js";
import type { Account, Area, Campaign, CampaignFields, CommittedEntry, Committee, Principal, Role } from "../ledger/types.js";
import { GENESIS_HASH } from "../ledger/types.js";
import { walkCommitteeChain } from "./chain.js";
import { refKey } from "../ledger/writer.js";

// The knex implementation of the ledger's store. Writes happen only inside
// withCommitteeLock, which takes the committee row FOR NO KEY UPDATE: one
// writer per committee at a time, across every process on the database.

const INSERT_CHUNK = 500;
/** pg_advisory_xact_lock's first key for an approver's call, the committee id its second ("sq" 0x7371: soquy's, verify 1). */
const VERIFY_LOCK_CLASS = 0x73710001;
const defaultBooks = new Map<string, { id: number; code: string }>();

export class KnexLedgerStore implements LedgerStore {
  constructor(readonly knex: Knex) {}

  async createCommittee(code: string, name: string): Promise<Committee> {
    return this.knex.transaction(async (trx) => {
      const existing = await trx("committees").where({ code }).first();
      if (existing) fail("committee_code_taken", `a committee with code ${code} exists`, "code");
      const [row] = await trx("committees").insert({ code, name }).returning(["id", "code", "name"]);
      const committeeId = Number(row.id);
      await trx("accounts").insert(committeeAccounts.map((a) => ({ ...a, committee_id: committeeId })));
      await trx("receipt_books").insert([
        { committee_id: committeeId, series: "PT", code: "PT", name: "Sổ phiếu thu" },
        { committee_id: committeeId, series: "PC", code: "PC", name: "Sổ phiếu chi" },
      ]);
      return { id: committeeId, code: row.code, name: row.name };
    });
  }

  async findCommittee(code: string): Promise<Committee | null> {
    const row = await this.knex("committees").where({ code }).first();
    return row ? { id: Number(row.id), code: row.code, name: row.name, words: wordVariantsOf(row.words_zero_tens, row.words_thousand) } : null;
  }

  async listAreas(committeeId: number): Promise<Area[]> {
    const rows = await this.knex("areas").where({ committee_id: committeeId }).orderBy(["created_at", "name"]).select("name", "created_at");
    return rows.map((r) => ({ name: r.name, createdAt: (r.created_at as Date).toISOString() }));
  }

  async addArea(committeeId: number, name: string, by: number | null): Promise<{ area: Area; created: boolean }> {
    const inserted = await this.knex("areas").insert({ committee_id: committeeId, name, created_by: by })
      .onConflict(["committee_id", "name"]).ignore().returning(["name", "created_at"]);
    const row = inserted[0] ?? await this.knex("areas").where({ committee_id: committeeId, name }).first("name", "created_at");
    return { area: { name: row.name, createdAt: (row.created_at as Date).toISOString() }, created: inserted.length > 0 };
  }

  async listCommittees(): Promise<Committee[]> {
    const rows = await this.knex("committees").orderBy("id");
    return rows.map((r) => ({ id: Number(r.id), code: r.code, name: r.name }));
  }

  async createToken(committeeId: number, role: Role, name: string, tokenHash: string, personId: number | null, createdByUser?: number): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const person = personId ?? await createPerson(trx, committeeId, name, role);
      const [row] = await trx("api_tokens").insert({
        committee_id: committeeId, role, name, token_hash: tokenHash, person_id: person, created_by_user: createdByUser ?? null,
      }).returning("id");
      return Number(row.id);
    });
  }

  async findPrincipal(tokenHash: string): Promise<Principal | null> {
    const row = await this.knex("api_tokens as t")
      .join("committees as c", "c.id", "t.committee_id")
      .where("t.token_hash", tokenHash)
      .whereNull("t.revoked_at")
      .join("people as p", "p.id", "t.person_id")
      .first("t.id", "t.committee_id", "t.role", "t.name", "c.code", "t.person_id", "p.role as person_role");
    if (!row) return null;
    return {
      tokenId: Number(row.id), committeeId: Number(row.committee_id), committeeCode: row.code, role: row.role, name: row.name,
      personId: Number(row.person_id), personRole: row.person_role,
    };
  }

  createCampaign(committeeId: number, input: NewCampaign, idem: { key: string; requestHash: string }, respond: (c: Campaign) => unknown) {
    return this.idempotent(committeeId, idem, async (t) => {
      const trx = t as Knex.Transaction;
      if (await trx("campaigns").where({ committee_id: committeeId, code: input.code }).first()) {
        fail("campaign_code_taken", `a campaign with code ${input.code} exists`, "code");
      }
      let fundId: number | null = null;
      if (input.fundCode) {
        const fund = await trx("funds").where({ committee_id: committeeId, code: input.fundCode }).first();
        fundId = fund ? Number(fund.id) : Number((await trx("funds").insert({
          committee_id: committeeId, code: input.fundCode, name: input.fundCode,
        }).returning("id"))[0].id);
      }
      const [row] = await trx("campaigns").insert({
        committee_id: committeeId, code: input.code, name: input.name, kind: input.kind, fund_id: fundId,
        target_dong: input.targetDong?.toString() ?? null, starts_on: input.startsOn, ends_on: input.endsOn,
        launch_document: input.launchDocument, receiving_exception: input.receivingException,
        distribution_days: input.distributionDays,
        // Named only when set, so the column is needed only by campaigns that use it.
        ...(input.receivingExceptionUntil !== null ? { receiving_exception_until: input.receivingExceptionUntil } : {}),
      }).returning("id");
      await trx("accounts").insert(
        campaignAccounts(input.code, input.name).map((a) => ({ ...a, committee_id: committeeId, campaign_id: Number(row.id) })),
      );
      const campaign = await this.findCampaignIn(trx, committeeId, input.code);
      assert(campaign, "the campaign just inserted is found");
      return campaign;
    }, respond);
  }

  updateCampaign(committeeId: number, code: string, change: (current: Campaign, use: CampaignUse) => CampaignFields,
    idem: { key: string; requestHash: string }, respond: (c: Campaign) => unknown) {
    return this.idempotent(committeeId, idem, async (t) => {
      const trx = t as Knex.Transaction;
      const current = await this.findCampaignIn(trx, committeeId, code);
      if (!current) fail("campaign_not_found", `no campaign with code ${code}`, "code");
      const next = change(current, await campaignUse(trx, current.id));
      await trx("campaigns").where({ committee_id: committeeId, id: current.id }).update({
        name: next.name, kind: next.kind, target_dong: next.targetDong?.toString() ?? null, starts_on: next.startsOn, ends_on: next.endsOn,
        launch_document: next.launchDocument, receiving_exception: next.receivingException,
        receiving_exception_until: next.receivingExceptionUntil, distribution_days: next.distributionDays,
      }).catch((error: unknown) => {
        throw storeError(error) ?? error;
      });
      const updated = await this.findCampaignIn(trx, committeeId, code);
      assert(updated, "the campaign just updated is found");
      return updated;
    }, respond);
  }

  campaignUse(campaignId: number): Promise<CampaignUse> {
    return campaignUse(this.knex, campaignId);
  }

  findCampaign(committeeId: number, code: string): Promise<Campaign | null> {
    return this.findCampaignIn(this.knex, committeeId, code);
  }

  async findCampaignById(committeeId: number, id: number): Promise<Campaign | null> {
    const row = await this.knex("campaigns").where({ committee_id: committeeId, id }).first("code");
    return row ? this.findCampaign(committeeId, row.code) : null;
  }

  async listCampaigns(committeeId: number): Promise<Campaign[]> {
    const rows = await this.knex("campaigns").where({ committee_id: committeeId }).orderBy("starts_on").orderBy("code").select("code");
    const out: Campaign[] = [];
    for (const r of rows) {
      const c = await this.findCampaign(committeeId, r.code);
      if (c) out.push(c);
    }
    return out;
  }

  private async findCampaignIn(db: Knex | Knex.Transaction, committeeId: number, code: string): Promise<Campaign | null> {
    const row = await db("campaigns as c")
      .leftJoin("funds as f", "f.id", "c.fund_id")
      .where({ "c.committee_id": committeeId, "c.code": code })
      .first("c.*", "f.code as fund_code");
    if (!row) return null;
    const accounts = (await db("accounts").where({ committee_id: committeeId, campaign_id: row.id })).map(toAccount);
    const byRole = Object.fromEntries(accounts.map((a) => [a.role, a])) as Campaign["accounts"];
    for (const role of ["cash", "bank", "goods", "fund", "income", "expense"] as const) {
      assert(byRole[role], `campaign ${code} has its ${role} account`);
    }
    return {
      id: Number(row.id), committeeId, code: row.code, name: row.name, kind: row.kind, fundCode: row.fund_code ?? null,
      targetDong: row.target_dong === null ? null : BigInt(row.target_dong), startsOn: row.starts_on, endsOn: row.ends_on,
      launchDocument: row.launch_document, receivingException: row.receiving_exception,
      receivingExceptionUntil: row.receiving_exception_until ?? null, distributionDays: Number(row.distribution_days), accounts: byRole,
    };
  }

  async campaignFigures(c: Campaign, verifiedOnly = false): Promise<CampaignFigures> {
    const k = this.knex;
    const accountIds = Object.values(c.accounts).map((a) => a.id);
    const balances = new Map<number, bigint>(
      (verifiedOnly
        ? await k("postings as p").join("entry_verified as v", "v.entry_id", "p.entry_id").whereIn("p.account_id", accountIds)
          .groupBy("p.account_id").select("p.account_id", k.raw("sum(p.amount_dong) as balance_dong"))
        : await k("account_balances").whereIn("account_id", accountIds))
        .map((r) => [Number(r.account_id), BigInt(r.balance_dong)]),
    );
    const bal = (a: Account) => balances.get(a.id) ?? 0n;
    // Entries that count: not reversed (and verified, when asked), for the detail alias given.
    const counted = (alias: string) => (q: Knex.QueryBuilder) => {
      q.whereNotExists(k("journal_entries as r").select(k.raw("1")).whereRaw(`r.reversal_of = ${alias}.entry_id`));
      if (verifiedOnly) q.whereExists(k("entry_verified as v").select(k.raw("1")).whereRaw(`v.entry_id = ${alias}.entry_id`));
    };
    const byMethod = await k("donations as d")
      .join("postings as p", function () {
        this.on("p.entry_id", "d.entry_id").andOnVal("p.account_id", c.accounts.income.id);
      })
      .where("d.campaign_id", c.id).modify(counted("d"))
      .groupBy("d.method")
      .select("d.method", k.raw("-sum(p.amount_dong) as total"), k.raw("count(*) as n"));
    const receivedByMethod = { cash: 0n, bank: 0n, in_kind: 0n };
    let donations = 0;
    for (const r of byMethod) {
      receivedByMethod[r.method as keyof typeof receivedByMethod] = BigInt(r.total);
      donations += Number(r.n);
    }
    const [donorCount] = await k("donations as d").where("d.campaign_id", c.id).modify(counted("d")).countDistinct("d.donor_id as n");
    const [paid] = await k("disbursements as d").where("d.campaign_id", c.id).modify(counted("d"))
      .select(k.raw("count(*) as n"), k.raw("count(distinct d.beneficiary_id) as households"));
    const received = await k("entry_items as i").join("donations as d", "d.entry_id", "i.entry_id")
      .where("d.campaign_id", c.id).modify(counted("d"))
      .groupBy("i.unit").orderBy("i.unit").select("i.unit", k.raw("sum(i.quantity) as quantity"), k.raw("sum(i.value_dong) as value"));
    const expense = (q: Knex.QueryBuilder) => q.join("postings as p", function () {
      this.on("p.entry_id", "d.entry_id").andOnVal("p.account_id", c.accounts.expense.id);
    });
    const disbursed = await k("disbursements as d").modify(expense)
      .where("d.campaign_id", c.id).whereNotNull("d.unit").modify(counted("d"))
      .groupBy("d.unit").orderBy("d.unit").select("d.unit", k.raw("sum(d.quantity) as quantity"), k.raw("sum(p.amount_dong) as value"));
    const deadline = distributionDeadline(c);
    const [late] = await k("disbursements as d").modify(expense).join("journal_entries as e", "e.id", "d.entry_id")
      .where("d.campaign_id", c.id).modify((q) => (deadline === null ? q.whereRaw("false") : q.where("e.entry_date", ">", deadline)))
      .modify(counted("d"))
      .select(k.raw("count(*) as n"), k.raw("coalesce(sum(p.amount_dong), 0) as amount"));
    const [pledged] = await k("pledges").where({ campaign_id: c.id }).select(k.raw("count(*) as n"), k.raw("coalesce(sum(amount_dong), 0) as amount"));
    const head = await chainHead(k, c.committeeId);
    const holdingsDong = { cash: bal(c.accounts.cash), bank: bal(c.accounts.bank), goods: bal(c.accounts.goods) };
    return {
      receivedDong: -bal(c.accounts.income),
      receivedByMethod,
      disbursedDong: bal(c.accounts.expense),
      balanceDong: holdingsDong.cash + holdingsDong.bank + holdingsDong.goods,
      holdingsDong,
      donations,
      donors: Number(donorCount?.n ?? 0),
      disbursements: Number(paid?.n ?? 0),
      households: Number(paid?.households ?? 0),
      receivedQuantities: received.map((r: { unit: string; quantity: string; value: string }) => ({ unit: r.unit, quantity: r.quantity, valueDong: BigInt(r.value) })),
      disbursedQuantities: disbursed.map((r: { unit: string; quantity: string; value: string }) => ({ unit: r.unit, quantity: r.quantity, valueDong: BigInt(r.value) })),
      lastSeq: head.seq,
      pledgedDong: BigInt(pledged?.amount ?? 0),
      pledges: Number(pledged?.n ?? 0),
      late: { deadline, disbursements: Number(late?.n ?? 0), amountDong: BigInt(late?.amount ?? 0) },
    };
  }

  async accountsByCode(committeeId: number, codes: string[]): Promise<Map<string, Account>> {
    const rows = await this.knex("accounts").where({ committee_id: committeeId }).whereIn("code", codes);
    return new Map(rows.map((r) => [r.code, toAccount(r)]));
  }

  listAccounts(committeeId: number): Promise<AccountBalance[]> {
    return this.balancesAsOf(committeeId, null);
  }

  balancesAsOf(committeeId: number, asOf: string | null, accountId?: number, verifiedOnly = false): Promise<AccountBalance[]> {
    return this.balancesIn(this.knex, committeeId, asOf, accountId, verifiedOnly);
  }

  private async balancesIn(k: Knex | Knex.Transaction, committeeId: number, asOf: string | null, accountId?: number, verifiedOnly = false): Promise<AccountBalance[]> {
    const sums = asOf === null && !verifiedOnly
      ? k("account_balances").where({ committee_id: committeeId }).select("account_id", "balance_dong as total")
      : k("postings as p").join("journal_entries as e", "e.id", "p.entry_id")
        .where("p.committee_id", committeeId)
        .modify((q) => (asOf === null ? q : q.where("e.entry_date", "<=", asOf)))
        .modify((q) => (verifiedOnly ? q.join("entry_verified as v", "v.entry_id", "e.id") : q))
        .modify((q) => (accountId === undefined ? q : q.where("p.account_id", accountId)))
        .groupBy("p.account_id").select("p.account_id", k.raw("sum(p.amount_dong) as total"));
    const rows = await k("accounts as a").leftJoin(sums.as("s"), "s.account_id", "a.id")
      .where("a.committee_id", committeeId)
      .modify((q) => (accountId === undefined ? q : q.where("a.id", accountId)))
      .orderBy("a.code").select("a.*", "s.total");
    return rows.map((r: Record<string, unknown>) => ({ account: toAccount(r), balanceDong: BigInt((r.total as string | null) ?? 0) }));
  }

  async findEntry(committeeId: number, id: string): Promise<CommittedEntry | null> {
    if (!isUuid(id)) return null;
    const [entry] = await this.loadEntries(this.knex, (q) => q.where({ "e.committee_id": committeeId, "e.id": id }));
    return entry ?? null;
  }

  listEntries(committeeId: number, f: EntryFilter): Promise<CommittedEntry[]> {
    return this.loadEntries(this.knex, (q) => {
      q.where("e.committee_id", committeeId);
      if (f.campaignId !== undefined) q.where("e.campaign_id", f.campaignId);
      if (f.from) q.where("e.entry_date", ">=", f.from);
      if (f.to) q.where("e.entry_date", "<=", f.to);
      if (f.afterSeq !== undefined) q.where("e.seq", ">", f.afterSeq);
      if (f.verified !== undefined) {
        const v = this.knex("entry_verified as v").select(this.knex.raw("1")).whereRaw("v.entry_id = e.id");
        if (f.verified) q.whereExists(v);
        else q.whereNotExists(v);
      }
      q.orderBy("e.seq").limit(f.limit);
    });
  }

  async reversalOf(committeeId: number, id: string): Promise<string | null> {
    const row = await this.knex("journal_entries").where({ committee_id: committeeId, reversal_of: id }).first("id");
    return row?.id ?? null;
  }

  publicFiguresMismatch(committeeId: number): Promise<string | null> {
    return new PublicQueries(this.knex).mismatch(committeeId);
  }

  walkChain(committeeId: number, visit: (e: CommittedEntry, links: EntryLinks) => void): Promise<void> {
    return walkCommitteeChain(this.knex, committeeId, visit);
  }

  private async loadEntries(db: Knex | Knex.Transaction, where: (q: Knex.QueryBuilder) => void): Promise<CommittedEntry[]> {
    const q = db("journal_entries as e")
      .join("committees as cm", "cm.id", "e.committee_id")
      .leftJoin("campaigns as cp", "cp.id", "e.campaign_id")
      .select("e.*", "cm.code as committee_code", "cp.code as campaign_code");
    where(q);
    const rows = await q;
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id as string);
    const queries: (() => Knex.QueryBuilder)[] = [
      () => db("postings as p").join("accounts as a", "a.id", "p.account_id").whereIn("p.entry_id", ids).orderBy(["p.entry_id", "p.line"])
        .select("p.entry_id", "p.amount_dong", "p.line", "a.*"),
      () => db("vouchers").whereIn("entry_id", ids).select("entry_id", "voucher_no"),
      // With the donor each counts under: verify checks it is the one the donation's content names.
      () => db("donations as d").leftJoin("donors as r", "r.id", "d.donor_id").whereIn("d.entry_id", ids)
        .select("d.*", "r.identity_key as donor_key", "r.name as donor_row_name", "r.kind as donor_row_kind", "r.phone as donor_phone"),
      () => db("entry_items").whereIn("entry_id", ids).orderBy(["entry_id", "line"]),
      () => db("disbursements").whereIn("entry_id", ids),
    ];
    // On the pool the five go at once, each on a connection; a transaction has one, where they go in turn.
    const results: any[][] = [];
    if (db.isTransaction) for (const q of queries) results.push(await q());
    else results.push(...(await Promise.all(queries.map((q) => q()))));
    const [postings, vouchers, donations, items, disbursements] = results as [any[], any[], any[], any[], any[]];
    const group = <T extends { entry_id: string }>(list: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of list) m.set(x.entry_id, [...(m.get(x.entry_id) ?? []), x]);
      return m;
    };
    const pBy = group(postings), vBy = group(vouchers), dBy = group(donations), iBy = group(items), bBy = group(disbursements);
    return rows.map((r) => {
      const d = dBy.get(r.id)?.[0];
      const b = bBy.get(r.id)?.[0];
      return {
        id: r.id,
        kind: r.kind,
        entryDate: r.entry_date,
        description: r.description,
        campaign: r.campaign_id === null ? null : { id: Number(r.campaign_id), code: r.campaign_code },
        reversalOf: r.reversal_of,
        resolutionRef: r.resolution_ref,
        requiredApprovals: Number(r.required_approvals) as 1 | 2,
        postings: (pBy.get(r.id) ?? []).map((p) => ({ account: toAccount(p), amountDong: BigInt(p.amount_dong), line: Number(p.line) })),
        voucherSeries: null,
        donation: d ? {
          method: d.method, donorName: d.donor_name, donorKind: d.donor_kind, publishName: d.publish_name,
          bankAccount: d.bank_account, bankReference: d.bank_reference, note: d.note,
        } : null,
        items: (iBy.get(r.id) ?? []).map((it) => ({
          line: Number(it.line), description: it.description, quantity: it.quantity, unit: it.unit, unitValueDong: BigInt(it.unit_value_dong),
          valueDong: BigInt(it.value_dong), valuationBasis: it.valuation_basis,
        })),
        disbursement: b ? {
          method: b.method, beneficiaryName: b.beneficiary_name, category: b.category, area: b.area, purpose: b.purpose,
          quantity: b.quantity, unit: b.unit, note: b.note,
        } : null,
        donorIdentity: d && d.donor_key !== null
          ? { key: d.donor_key, name: d.donor_row_name, kind: d.donor_row_kind, phone: d.donor_phone }
          : null,
        beneficiaryIdentity: null,
        committeeId: Number(r.committee_id),
        committeeCode: r.committee_code,
        seq: Number(r.seq),
        recordedAt: (r.recorded_at as Date).toISOString(),
        recordedBy: Number(r.recorded_by),
        idempotencyKey: r.idempotency_key,
        voucherNo: vBy.get(r.id)?.[0]?.voucher_no ?? null,
        prevHash: r.prev_hash,
        hash: r.hash,
      } satisfies CommittedEntry;
    });
  }

  async idempotent<T>(committeeId: number, idem: { key: string; requestHash: string }, work: (trx: unknown) => Promise<T>,
    respond: (value: T) => unknown): Promise<{ response: unknown; replayed: boolean }> {
    return this.withCommitteeLock(committeeId, async (tx) => {
      const prior = (await tx.storedResponses([idem.key])).get(idem.key);
      if (prior) {
        if (prior.requestHash !== idem.requestHash) {
          fail("idempotency_key_reused", "this Idempotency-Key was already used for a different request", "Idempotency-Key");
        }
        return { response: prior.response, replayed: true };
      }
      const trx = (tx as KnexLocked).trx;
      assert(trx, "idempotent work runs in a knex transaction");
      const response = respond(await work(trx));
      await trx("idempotency_keys").insert({ committee_id: committeeId, key: idem.key, request_hash: idem.requestHash, response: JSON.stringify(response) });
      return { response, replayed: false };
    });
  }

  async withVerifications<T>(committeeId: number, work: (v: VerificationTx) => Promise<T>): Promise<T> {
    assert(Number.isSafeInteger(committeeId) && committeeId > 0 && committeeId <= 0x7fffffff, "a committee id fits the lock's int4 key");
    return this.knex.transaction(async (trx) => {
      // Released at COMMIT or ROLLBACK. Not the committee row's lock: recording goes on while an approver verifies.
      await trx.raw("select pg_advisory_xact_lock(?, ?)", [VERIFY_LOCK_CLASS, committeeId]);
      return work({
        approvals: (ids) => this.approvalsIn(trx, committeeId, ids),
        add: (verifier, ids) => this.addVerificationsIn(trx, committeeId, verifier, ids),
      });
    });
  }

  async withImportReversal<T>(committeeId: number, importId: number, work: (x: ImportReversalTx) => Promise<T>): Promise<T> {
    return this.knex.transaction(async (trx) => {
      const locked = await trx.raw("select id from committees where id = ? for no key update", [committeeId]);
      if (locked.rows.length !== 1) fail("committee_not_found", `no committee ${committeeId}`);
      const row = await trx("bank_imports as i").join("campaigns as c", "c.id", "i.campaign_id").join("bank_accounts as a", "a.id", "i.bank_account_id")
        .leftJoin("bank_import_reversals as r", (j) => j.on("r.committee_id", "i.committee_id").andOn("r.import_id", "i.id"))
        .where({ "i.committee_id": committeeId, "i.id": importId })
        .first("i.bank_account_id", "a.account_no", "c.code as campaign_code", "r.id as reversal_id",
          trx.raw("to_char(i.first_date, 'YYYY-MM-DD') as first_date"), trx.raw("to_char(i.last_date, 'YYYY-MM-DD') as last_date"));
      if (!row) fail("bank_import_not_found", `no bank statement import ${importId}`, "id");
      const lines: ImportLines = { c: committeeId, a: Number(row.bank_account_id), i: importId, first: row.first_date ?? "9999-12-31", last: row.last_date ?? "0001-01-01" };
      const [counts] = (await trx.raw(`select count(*) filter (where not b.matched)::int as releasable, count(*) filter (where b.matched)::int as matched
        from bank_lines b where ${LINES_OF_IMPORT}`, { ...lines })).rows;
      const target: ImportToReverse = {
        id: importId, campaignCode: row.campaign_code, bankAccount: row.account_no, reversalId: row.reversal_id === null ? null : Number(row.reversal_id),
        releasable: counts.releasable, matched: counts.matched,
      };
      const db = { table: (name: string) => trx(name), raw: (sql: string, bindings: readonly Knex.RawBinding[]) => trx.raw(sql, bindings) };
      return work(new KnexImportReversal(db, committeeId, trx, target, lines, (ids) => this.loadEntries(trx, (q) => q.whereIn("e.id", ids))));
    });
  }

  private async approvalsIn(trx: Knex.Transaction, committeeId: number, ids: string[]): Promise<Map<string, Approvals>> {
    const valid = ids.filter((id) => isUuid(id));
    if (valid.length === 0) return new Map();
    const rows = await trx("journal_entries as e").join("api_tokens as r", "r.id", "e.recorded_by")
      .where("e.committee_id", committeeId).whereIn("e.id", valid)
      .select("e.id", "e.seq", "e.recorded_by", "r.person_id as recorder_person", "e.required_approvals", "e.reversal_of",
        this.knex.raw("coalesce((select array_agg(v.verified_by order by v.verified_at) from entry_verifications v where v.entry_id = e.id), '{}') as verifiers"),
        // A verification kept from before people existed may carry no person: its token's person stands in.
        this.knex.raw(`coalesce((select array_agg(coalesce(v.person_id, t.person_id)) from entry_verifications v join api_tokens t on t.id = v.verified_by
          where v.entry_id = e.id), '{}') as verifier_persons`),
        this.knex.raw("exists (select 1 from entry_verified o where o.entry_id = e.reversal_of) as original_verified"));
    return new Map(rows.map((r) => [r.id, {
      id: r.id, seq: Number(r.seq), recordedBy: Number(r.recorded_by), recorderPerson: Number(r.recorder_person),
      requiredApprovals: Number(r.required_approvals), verifiers: (r.verifiers as (string | number)[]).map(Number),
      verifierPersons: (r.verifier_persons as (string | number)[]).map(Number),
      reversalOf: r.reversal_of ?? null, originalVerified: r.original_verified === true,
    }]));
  }

  private async addVerificationsIn(trx: Knex.Transaction, committeeId: number, verifier: number, ids: string[]): Promise<void> {
    const at = new Date().toISOString();
    for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
      await trx("entry_verifications").insert(ids.slice(i, i + INSERT_CHUNK).map((id) => ({
        entry_id: id, committee_id: committeeId, verified_by: verifier, verified_at: at,
      })));
    }
  }

  async verificationsOf(committeeId: number, id: string) {
    const rows = await this.knex("entry_verifications as v").join("api_tokens as t", "t.id", "v.verified_by")
      .where({ "v.committee_id": committeeId, "v.entry_id": id }).orderBy("v.verified_at").select("v.verified_by", "t.name", "v.verified_at");
    return rows.map((r) => ({ by: Number(r.verified_by), name: r.name as string, at: (r.verified_at as Date).toISOString() }));
  }

  async unverifiedThrough(committeeId: number, through: string, limit: number, db: Knex | Knex.Transaction = this.knex): Promise<number[]> {
    const rows = await db("journal_entries as e").where("e.committee_id", committeeId).where("e.entry_date", "<=", through)
      .whereNotExists(this.knex("entry_verified as v").select(this.knex.raw("1")).whereRaw("v.entry_id = e.id"))
      .orderBy("e.seq").limit(limit).select("e.seq");
    return rows.map((r) => Number(r.seq));
  }

  async closePeriod(committeeId: number, closedBy: number, through: string, note: string | null, idem: { key: string; requestHash: string },
    respond: (c: PeriodClose) => unknown) {
    return this.idempotent(committeeId, idem, async (t) => {
      const trx = t as Knex.Transaction;
      const last = await trx("period_closes").where({ committee_id: committeeId }).max("through_date as d").first();
      if (last?.d && last.d >= through) fail("period_already_closed", `the books are already closed through ${last.d}`, "through");
      const unverified = await this.unverifiedThrough(committeeId, through, 20, trx);
      if (unverified.length > 0) {
        fail("unverified_entries", `every entry up to ${through} must be verified first; unverified sequences: ${unverified.join(", ")}${unverified.length === 20 ? ", …" : ""}`, "through");
      }
      const balances = Object.fromEntries((await this.balancesIn(trx, committeeId, through)).map((b) => [b.account.code, b.balanceDong.toString()]));
      const head = await chainHead(trx, committeeId);
      const [row] = await trx("period_closes").insert({
        committee_id: committeeId, through_date: through, closed_by: closedBy, head_seq: head.seq, head_hash: head.hash,
        balances: JSON.stringify(balances), note,
      }).returning("*");
      return toClose(row);
    }, respond);
  }

  async listCloses(committeeId: number): Promise<PeriodClose[]> {
    return (await this.knex("period_closes").where({ committee_id: committeeId }).orderBy("through_date")).map(toClose);
  }

  async findClose(committeeId: number, id: number): Promise<PeriodClose | null> {
    const row = await this.knex("period_closes").where({ committee_id: committeeId, id }).first();
    return row ? toClose(row) : null;
  }

  async entryHashAt(committeeId: number, seq: number): Promise<string | null> {
    const row = await this.knex("journal_entries").where({ committee_id: committeeId, seq }).first("hash");
    return row?.hash ?? null;
  }

  async insertPledge(trx: unknown, committeeId: number, campaignId: number, recordedBy: number, p: NewPledge): Promise<Pledge> {
    const [row] = await (trx as Knex.Transaction)("pledges").insert({
      committee_id: committeeId, campaign_id: campaignId, pledged_on: p.pledgedOn, pledger_name: p.pledgerName,
      pledger_kind: p.pledgerKind, publish_name: p.publishName, amount_dong: p.amountDong.toString(), note: p.note, recorded_by: recordedBy,
    }).returning("*");
    const campaign = await (trx as Knex.Transaction)("campaigns").where({ id: campaignId }).first("code");
    return toPledge(row, campaign.code);
  }

  async listPledges(c: Campaign): Promise<Pledge[]> {
    return (await this.knex("pledges").where({ campaign_id: c.id }).orderBy("id")).map((r) => toPledge(r, c.code));
  }

  async withCommitteeLock<T>(committeeId: number, work: (tx: LockedLedger) => Promise<T>): Promise<T> {
    return this.knex.transaction(async (trx) => {
      const locked = await trx.raw("select id from committees where id = ? for no key update", [committeeId]);
      if (locked.rows.length !== 1) fail("committee_not_found", `no committee ${committeeId}`);
      return work(new KnexLocked({ table: (name) => trx(name), raw: (sql, bindings) => trx.raw(sql, bindings) }, committeeId, trx));
    });
  }

  // The group committer's transaction, on a connection of its own from the
  // pool: the batch's INSERTs go to the server in the same message as COMMIT,
  // so the lock is released one round trip (and one turn of the event loop,
  // busy with HTTP) sooner. The rows travel as escaped literals: a multi-
  // statement message cannot carry parameters.
  async withCommitteeBatch<T>(committeeId: number, work: (tx: LockedLedger) => Promise<T>): Promise<T> {
    assert(Number.isSafeInteger(committeeId), "a committee id is an integer");
    const client = this.knex.client;
    const conn = (await client.acquireConnection()) as PgConnection;
    let open = false;
    try {
      // BEGIN and the lock in one message, one round trip (the id is a checked integer).
      open = true;
      const [, locked] = (await conn.query(`begin; select id from committees where id = ${committeeId} for no key update`)) as unknown as { rows: unknown[] }[];
      if (locked?.rows.length !== 1) fail("committee_not_found", `no committee ${committeeId}`);
      const tx = new KnexLocked({
        table: (name) => this.knex(name).connection(conn),
        raw: (sql, bindings) => {
          const native = this.knex.raw(sql, bindings).toSQL().toNative();
          return conn.query(native.sql, native.bindings as unknown[]);
        },
      }, committeeId, null, conn);
      const result = await work(tx);
      const append = tx.takeAppend();
      await conn.query(append ? `${append}; commit` : "commit");
      open = false;
      return result;
    } catch (error) {
      // After a failed statement the transaction is aborted and must be rolled back;
      // after a failed COMMIT it is gone already (the server only warns).
      if (open) await conn.query("rollback").catch(() => undefined);
      throw error;
    } finally {
      client.releaseConnection(conn);
    }
  }
}

/** The part of a pg client the batch transaction uses. */
interface PgConnection {
  query(sql: string, values?: unknown[]): Promise<{ rows: any[] }>;
  escapeLiteral(value: string): string;
}

/** Queries inside a locked transaction: through knex's transaction, or on the batch's own connection. */
interface LockedQueries {
  table(name: string): Knex.QueryBuilder;
  raw(sql: string, bindings: readonly Knex.RawBinding[]): Promise<{ rows: any[] }>;
}

class KnexLocked implements LockedLedger {
  private append: string | null = null;

  constructor(
    private readonly db: LockedQueries,
    private readonly committeeId: number,
    /** The knex transaction, for idempotent() work; null on the batch's own connection. */
    readonly trx: Knex.Transaction | null,
    /** The batch's own connection: insertEntries then prepares the statement sent with COMMIT. */
    private readonly conn: PgConnection | null = null,
  ) {}

  async head() {
    const row = await this.db.table("journal_entries").where({ committee_id: this.committeeId }).orderBy("seq", "desc").first("seq", "hash");
    return row ? { seq: Number(row.seq), hash: row.hash as string } : { seq: 0, hash: GENESIS_HASH };
  }

  /** The INSERT statement insertEntries prepared, once (withCommitteeBatch sends it with COMMIT). */
  takeAppend(): string | null {
    const sql = this.append;
    this.append = null;
    return sql;
  }

  async storedResponses(keys: string[]): Promise<Map<string, StoredResponse>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.table("idempotency_keys").where({ committee_id: this.committeeId }).whereIn("key", keys);
    return new Map(rows.map((r: Record<string, any>) => [r.key, { requestHash: r.request_hash, response: r.response }]));
  }

  async balance(accountId: number): Promise<bigint> {
    const row = await this.db.table("account_balances").where({ account_id: accountId }).first("balance_dong");
    return row ? BigInt(row.balance_dong) : 0n;
  }

  async lastVoucherNumber(series: "PT" | "PC", year: number) {
    const key = `${this.committeeId}:${series}`;
    let book = defaultBooks.get(key); // book codes never change (frozen in SQL)
    if (!book) {
      const row = await this.db.table("receipt_books").where({ committee_id: this.committeeId, series, code: series }).first("id", "code");
      assert(row, `committee ${this.committeeId} has its default ${series} book`);
      book = { id: Number(row.id), code: row.code as string };
      defaultBooks.set(key, book);
    }
    const last = await this.db.table("vouchers").where({ book_id: book.id, year }).orderBy("number", "desc").first("number");
    return { bookId: book.id, bookCode: book.code, number: Number(last?.number ?? 0) };
  }

  async bankReferencesUsed(refs: { bankAccount: string | null; reference: string }[]): Promise<Set<string>> {
    const rows = await this.db.table("donations").where({ committee_id: this.committeeId })
      .whereIn("bank_reference", [...new Set(refs.map((r) => r.reference))]).select("bank_account", "bank_reference");
    return new Set(rows.map((r: Record<string, any>) => refKey(r.bank_account, r.bank_reference)));
  }

  async isReversed(entryId: string): Promise<boolean> {
    return (await this.db.table("journal_entries").where({ reversal_of: entryId }).first("id")) !== undefined;
  }

  async closedThrough(): Promise<string | null> {
    const row = await this.db.table("period_closes").where({ committee_id: this.committeeId }).max("through_date as d").first();
    return row?.d ?? null;
  }

  async batchContext(q: BatchQuery): Promise<BatchContextData> {
    const c = this.committeeId;
    // One round trip under the lock for everything a batch reads before planning (migration 0007).
    const refs = q.refs.map((r) => ({ a: r.bankAccount ?? "", r: r.reference }));
    const { rows: [{ context: row }] } = await this.db.raw("select soquy_batch_context(?, ?::json) as context",
      [c, JSON.stringify({ keys: q.keys, refs, vouchers: q.vouchers })]);
    const head = row.head as [string | number, string] | null;
    const vouchers = new Map<string, { bookId: number; bookCode: string; number: number }>();
    for (const [series, year, bookId, bookCode, number] of row.vouchers as [string, number, number, string, number][]) {
      vouchers.set(`${series}-${year}`, { bookId: Number(bookId), bookCode, number: Number(number) });
    }
    return {
      head: head ? { seq: Number(head[0]), hash: head[1] } : { seq: 0, hash: GENESIS_HASH },
      closedThrough: row.closed ?? null,
      stored: new Map((row.stored as [string, string, unknown][]).map(([key, requestHash, response]) => [key, { requestHash, response }])),
      refsUsed: new Set((row.refs as [string | null, string][]).map(([a, r]) => refKey(a, r))),
      lastVouchers: vouchers,
    };
  }

  /** The whole batch in one statement (soquy_append_entries, migration 0007): the same INSERTs, run in the database. */
  async insertEntries(rows: EntryRow[], responses: IdempotentResponse[]): Promise<void> {
    const parties = (kind: "donor" | "beneficiary") => [...new Map(rows.flatMap(({ entry: e }) => {
      const p = kind === "donor" ? e.donorIdentity : e.beneficiaryIdentity;
      return p ? [[p.key, p] as const] : [];
    })).values()];
    const batch = {
      donors: parties("donor").map((p) => ({ identity_key: p.key, name: p.name, kind: p.kind, phone: p.phone ?? null })),
      beneficiaries: parties("beneficiary").map((p) => ({ identity_key: p.key, name: p.name, category: p.kind, area: p.area ?? "" })),
      entries: rows.map(({ entry: e }) => ({
        id: e.id, seq: e.seq, entry_date: e.entryDate, recorded_at: e.recordedAt, kind: e.kind,
        description: e.description, campaign_id: e.campaign?.id ?? null, recorded_by: e.recordedBy,
        idempotency_key: e.idempotencyKey, reversal_of: e.reversalOf, resolution_ref: e.resolutionRef,
        required_approvals: e.requiredApprovals, prev_hash: e.prevHash, hash: e.hash,
      })),
      postings: rows.flatMap(({ entry: e }) => e.postings.map((p, i) => ({
        entry_id: e.id, line: i + 1, account_id: p.account.id, amount_dong: p.amountDong.toString(),
      }))),
      vouchers: rows.flatMap(({ entry: e, voucher: v }) => v ? [{
        book_id: v.bookId, year: v.year, number: v.number, voucher_no: e.voucherNo, entry_id: e.id,
      }] : []),
      donations: rows.flatMap(({ entry: e }) => {
        if (!e.donation) return [];
        assert(e.donorIdentity, "every donation has a donor identity");
        return [{
          entry_id: e.id, campaign_id: e.campaign?.id, method: e.donation.method, donor_key: e.donorIdentity.key,
          donor_name: e.donation.donorName, donor_kind: e.donation.donorKind, publish_name: e.donation.publishName,
          bank_account: e.donation.bankAccount, bank_reference: e.donation.bankReference, note: e.donation.note,
        }];
      }),
      items: rows.flatMap(({ entry: e }) => e.items.map((it, i) => ({
        entry_id: e.id, line: i + 1, description: it.description, quantity: it.quantity, unit: it.unit,
        unit_value_dong: it.unitValueDong.toString(), value_dong: it.valueDong.toString(), valuation_basis: it.valuationBasis,
      }))),
      disbursements: rows.flatMap(({ entry: e }) => {
        if (!e.disbursement) return [];
        assert(e.beneficiaryIdentity, "every disbursement has a beneficiary identity");
        return [{
          entry_id: e.id, campaign_id: e.campaign?.id, method: e.disbursement.method, beneficiary_key: e.beneficiaryIdentity.key,
          beneficiary_name: e.disbursement.beneficiaryName, category: e.disbursement.category, area: e.disbursement.area,
          purpose: e.disbursement.purpose, quantity: e.disbursement.quantity, unit: e.disbursement.unit, note: e.disbursement.note,
        }];
      }),
      idempotency: responses.map((r) => ({ key: r.key, request_hash: r.requestHash, entry_id: r.entryId, response: r.response })),
    };
    const tables = ["donors", "beneficiaries", "entries", "postings", "vouchers", "donations", "items", "disbursements", "idempotency"] as const;
    if (this.conn) {
      assert(this.append === null, "one batch is inserted once");
      const conn = this.conn;
      this.append = `select soquy_append_entries(${this.committeeId}, ${tables.map((t) => `${sqlText(conn, JSON.stringify(batch[t]))}::json`).join(", ")})`;
      return;
    }
    await this.db.raw(`select soquy_append_entries(?, ${tables.map(() => "?::json").join(", ")})`,
      [this.committeeId, ...tables.map((t) => JSON.stringify(batch[t]))]);
  }
}

/**
 * A string literal for SQL sent as text. Dollar-quoted: the server reads it
 * without escape processing, and nothing has to walk the text character by
 * character as pg's escapeLiteral does (~15 µs per entry of a batch). The tag
 * cannot close early when the text does not contain "$soquy" (the tag's only
 * overlap with itself is its "$"); otherwise escapeLiteral.
 */
export function sqlText(conn: Pick<PgConnection, "escapeLiteral">, text: string): string {
  return text.includes("$soquy") ? conn.escapeLiteral(text) : `$soquy$${text}$soquy$`;
}

/** A bank import's lines, by its bank account and days (bank_lines' key) and its id. */
interface ImportLines {
  c: number;
  a: number;
  i: number;
  first: string;
  last: string;
}

const LINES_OF_IMPORT = "b.committee_id = :c and b.bank_account_id = :a and b.entry_date between :first and :last and b.import_id = :i";

class KnexImportReversal extends KnexLocked implements ImportReversalTx {
  constructor(
    db: LockedQueries,
    committeeId: number,
    private readonly knexTrx: Knex.Transaction,
    readonly target: ImportToReverse,
    private readonly lines: ImportLines,
    private readonly load: (ids: string[]) => Promise<CommittedEntry[]>,
  ) {
    super(db, committeeId, knexTrx);
  }

  async entriesToReverse(): Promise<string[]> {
    const { rows } = await this.knexTrx.raw(`select e.id from bank_lines b join journal_entries e on e.id = b.entry_id
      where ${LINES_OF_IMPORT} and not b.matched and not exists (select 1 from journal_entries x where x.reversal_of = e.id)
      order by (select sum(p.amount_dong) from postings p join accounts ac on ac.id = p.account_id where p.entry_id = e.id and ac.type = 'asset'), e.seq`,
    { ...this.lines });
    return rows.map((r: { id: string }) => r.id);
  }

  async reversalsNet(): Promise<{ account: Account; amountDong: bigint }[]> {
    const { rows } = await this.knexTrx.raw(`select a.*, -sum(p.amount_dong) as net from bank_lines b join postings p on p.entry_id = b.entry_id
      join accounts a on a.id = p.account_id
      where ${LINES_OF_IMPORT} and not b.matched and not exists (select 1 from journal_entries x where x.reversal_of = b.entry_id)
      group by a.id`, { ...this.lines });
    return rows.map((r: Record<string, unknown>) => ({ account: toAccount(r), amountDong: BigInt(r.net as string) }));
  }

  async entries(ids: string[]): Promise<CommittedEntry[]> {
    const byId = new Map((await this.load(ids)).map((e) => [e.id, e]));
    return ids.map((id) => byId.get(id)!);
  }

  async release(r: { reason: string; reversedBy: number; entries: number }): Promise<{ id: number; released: number }> {
    const [row] = await this.knexTrx("bank_import_reversals").insert({
      committee_id: this.lines.c, import_id: this.lines.i, reason: r.reason, reversed_by: r.reversedBy, entries: r.entries, released: this.target.releasable,
    }).returning("id");
    const id = Number(row.id);
    const { rowCount } = await this.knexTrx.raw(`insert into bank_line_releases (committee_id, bank_account_id, entry_date, line_key, generation, reversal_id)
      select b.committee_id, b.bank_account_id, b.entry_date, b.line_key, b.generation, :reversal from bank_lines b where ${LINES_OF_IMPORT} and not b.matched`,
    { ...this.lines, reversal: id });
    return { id, released: Number(rowCount) };
  }
}

/** A committee's last sequence and hash (64 zeros before its first entry). */
export async function chainHead(db: Knex | Knex.Transaction, committeeId: number): Promise<{ seq: number; hash: string }> {
  const row = await db("journal_entries").where({ committee_id: committeeId }).orderBy("seq", "desc").first("seq", "hash");
  return row ? { seq: Number(row.seq), hash: row.hash as string } : { seq: 0, hash: GENESIS_HASH };
}

function toClose(r: Record<string, any>): PeriodClose {
  return {
    id: Number(r.id), throughDate: r.through_date, closedBy: Number(r.closed_by), closedAt: (r.closed_at as Date).toISOString(),
    headSeq: Number(r.head_seq), headHash: r.head_hash, balances: r.balances, note: r.note,
  };
}

function toPledge(r: Record<string, any>, campaign: string): Pledge {
  return {
    id: Number(r.id), campaign, pledgedOn: r.pledged_on, pledgerName: r.pledger_name, pledgerKind: r.pledger_kind,
    publishName: r.publish_name, amountDong: BigInt(r.amount_dong), note: r.note, recordedBy: Number(r.recorded_by),
    recordedAt: (r.recorded_at as Date).toISOString(),
  };
}

export function toAccount(r: Record<string, unknown>): Account {
  return {
    id: Number(r.id), code: r.code as string, name: r.name as string, type: r.type as Account["type"],
    role: r.role as Account["role"], campaignId: r.campaign_id === null ? null : Number(r.campaign_id),
  };
}

/**
 * What freezes a campaign's fields: a publication or a checkpoint since it was set up (a public statement cut there prints
 * its name and launch date), and entries on its accounts. The same test as soquy_check_campaign_change (migration …000038).
 */
async function campaignUse(trx: Knex | Knex.Transaction, campaignId: number): Promise<CampaignUse> {
  const { rows } = await trx.raw(`select
      exists (select 1 from public_heads h where h.committee_id = c.committee_id and h.published_at >= c.created_at)
        or exists (select 1 from checkpoints k where k.committee_id = c.committee_id and k.created_at >= c.created_at) as published,
      exists (select 1 from journal_entries e where e.campaign_id = c.id)
        or exists (select 1 from accounts a join postings p on p.account_id = a.id where a.campaign_id = c.id) as has_entries
    from campaigns c where c.id = ?`, [campaignId]);
  return { published: rows[0].published === true, hasEntries: rows[0].has_entries === true };
}
