// A generated bank statement in the Vietcombank layout with Vietnamese-shaped memos, for the public
// sao kê tests: names in capitals without diacritics and in mixed case with them, amounts written
// the Vietnamese way, references, and phone numbers, account numbers and e-mail addresses in several
// spellings (all to be masked). It knows what the bank would say: each day's credits, debits and
// closing balance.

export const SAOKE_ACCOUNT = "0071009990046";

export interface StatementLine {
  date: string; // ISO
  doc: string;
  direction: "C" | "D";
  amountDong: bigint;
  memo: string;
  balanceDong: bigint | null;
}

export interface GeneratedStatement {
  csv: string;
  account: string;
  openingDong: bigint;
  lines: StatementLine[];
  days: { date: string; credits: number; creditsDong: bigint; debits: number; debitsDong: bigint; closingDong: bigint; toClassifyDong: bigint; feesDong: bigint }[];
}

const FAMILY = ["NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "VU", "DANG", "BUI"];
const MIDDLE = ["VAN", "THI", "DUC", "MINH", "NGOC"];
const GIVEN = ["BINH", "CUONG", "GIANG", "HUNG", "LAN", "MAI", "NAM", "TAM", "TRANG", "YEN"];
const MIXED = ["Nguyễn Thị Huyền", "Trần Đức Thắng", "Lê Thị Kim Oanh", "Phạm Văn Đạt", "Đỗ Minh Khuê"];
const AMOUNTS = [3_000n, 10_000n, 52_222n, 5_888n, 1_000_000n, 200_000n, 500_000n, 50_000n, 100_000n, 300_000n];
const TEXTS = ["ung ho dong bao bi bao lu", "Ung ho dong bao mien Bac khac phuc bao so 3", "chung tay vuot qua bao lu", "quyen gop", "cuu tro thien tai"];

export const dots = (n: bigint) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
const dmy = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

/** The planted lines every statement starts its first day with, in this order. */
export function plantedLines(date: string): Omit<StatementLine, "balanceDong">[] {
  return [
    { date, doc: "5001.00001", direction: "C", amountDong: 500_000n, memo: `MBVCB.6900235838.NGUYEN VAN A ung ho.CT tu 7089080942 NGUYEN VAN A toi ${SAOKE_ACCOUNT} MAT TRAN TO QUOC` },
    { date, doc: "5001.00002", direction: "C", amountDong: 52_222n, memo: "Nguyễn Văn A chuyển khoản ủng hộ đồng bào lũ lụt, SĐT 0912 345 678" },
    { date, doc: "5001.00003", direction: "C", amountDong: 1_000_000n, memo: "IBFT NGUYEN VAN AN ung ho 1.000.000 dong, lien he an.nguyen@gmail.com" },
    { date, doc: "5001.00004", direction: "C", amountDong: 200_000n, memo: "CKSOTAIKHOAN 773999824558984 TRAN THI MAI chuyen tien tu Viettel Money +84 931 948 167 " + SAOKE_ACCOUNT },
    { date, doc: "5001.00005", direction: "C", amountDong: 5_888n, memo: "Lê Thị Kim Oanh ủng hộ, STK 1903-4567-8901-23, đt 0987.654.321" },
    { date, doc: "5001.00006", direction: "D", amountDong: 15_000_000n, memo: "CHUYEN TIEN HO TRO CAC HO BI THIET HAI THON 3" },
  ];
}

/** A statement of about n lines over the given days: the planted lines, generated transfers, one SMS fee a day. */
export function generateStatement(n: number, days: string[], openingDong = 50_000_000n, seed = 46): GeneratedStatement {
  // mulberry32: consecutive draws are independent (an LCG's low bits made the memo follow the amount).
  let state = seed >>> 0;
  const rnd = (m: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % m);
  };
  const perDay = Math.max(8, Math.ceil(n / days.length));
  const lines: StatementLine[] = [];
  let balance = openingDong;
  let doc = 10;
  for (const [d, date] of days.entries()) {
    const day: Omit<StatementLine, "balanceDong">[] = d === 0 ? plantedLines(date) : [];
    while (day.length < perDay - 1) {
      const name = `${FAMILY[rnd(FAMILY.length)]} ${MIDDLE[rnd(MIDDLE.length)]} ${GIVEN[rnd(GIVEN.length)]}`;
      const amount = AMOUNTS[rnd(AMOUNTS.length)]!;
      const text = TEXTS[rnd(TEXTS.length)];
      const ref = `${5000 + rnd(400)}.${String(10000 + doc++).padStart(5, "0")}`;
      const memo = [
        () => `MBVCB.${6900000000 + rnd(99999999)}.${name} ${text}.CT tu ${1000000000 + rnd(899999999)} ${name} toi ${SAOKE_ACCOUNT} MAT TRAN TO QUOC`,
        () => `${100000 + rnd(899999)}.${date.slice(8, 10)}${date.slice(5, 7)}${date.slice(2, 4)}.${rnd(240000)}.${name} ${text}`,
        () => `${MIXED[rnd(MIXED.length)]} ${text} ${dots(amount)}đ`,
        () => `CKSOTAIKHOAN ${100000000000000 + rnd(899999999)} ${name} chuyen tien tu Viettel Money 849${String(rnd(99999999)).padStart(8, "0")} ${SAOKE_ACCOUNT}`,
      ][rnd(4)]!();
      day.push({ date, doc: ref, direction: "C", amountDong: amount, memo });
    }
    day.push({ date, doc: `${5000 + rnd(400)}.${String(10000 + doc++).padStart(5, "0")}`, direction: "D", amountDong: 11_000n,
      memo: `THU PHI DICH VU SMS CHU DONG NGAY ${dmy(date)}. SDT: 0904000111` });
    day.forEach((l, i) => {
      balance += l.direction === "C" ? l.amountDong : -l.amountDong;
      lines.push({ ...l, balanceDong: i === day.length - 1 ? balance : null });
    });
  }
  let csv = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\r\n";
  lines.forEach((l, i) => {
    csv += `${1 + Math.floor(i / 25)},${dmy(l.date)},${l.doc},${l.direction === "D" ? dots(l.amountDong) : ""},${l.direction === "C" ? dots(l.amountDong) : ""},`
      + `${l.balanceDong === null ? "" : dots(l.balanceDong)},${quote(l.memo)}\r\n`;
  });
  let running = openingDong;
  const out: GeneratedStatement["days"] = days.map((date) => {
    const of = lines.filter((l) => l.date === date);
    const credits = of.filter((l) => l.direction === "C"), debits = of.filter((l) => l.direction === "D");
    const sum = (x: StatementLine[]) => x.reduce((a, l) => a + l.amountDong, 0n);
    running += sum(credits) - sum(debits);
    const fees = debits.filter((l) => l.memo.startsWith("THU PHI"));
    return {
      date, credits: credits.length, creditsDong: sum(credits), debits: debits.length, debitsDong: sum(debits), closingDong: running,
      toClassifyDong: sum(debits) - sum(fees), feesDong: sum(fees),
    };
  });
  return { csv, account: SAOKE_ACCOUNT, openingDong, lines, days: out };
}
