// An exact sum of whole đồng given as decimal text, kept as a JS number while
// it is a safe integer and as a bigint after: a million BigInt parses and
// additions cost the CSV pass about a second, numbers almost nothing.
//
// Exact because: text of at most 15 characters is below 10^15 in magnitude,
// so Number(text) is exact; the sum of two safe integers is exact whenever
// the true sum is a safe integer, and when it is not, the rounded sum is not
// one either (rounding is monotonic), which is where the bigint takes over.

const SHORT = 15;

export class ExactSum {
  private small = 0;
  private big: bigint | null = null;

  constructor(start: bigint = 0n) {
    if (start >= BigInt(-Number.MAX_SAFE_INTEGER) && start <= BigInt(Number.MAX_SAFE_INTEGER)) this.small = Number(start);
    else this.big = start;
  }

  add(text: string): void {
    if (this.big === null && text.length <= SHORT) {
      const sum = this.small + Number(text);
      if (Number.isSafeInteger(sum)) {
        this.small = sum;
        return;
      }
    }
    this.big = (this.big ?? BigInt(this.small)) + BigInt(text);
  }

  sub(text: string): void {
    if (this.big === null && text.length <= SHORT) {
      const sum = this.small - Number(text);
      if (Number.isSafeInteger(sum)) {
        this.small = sum;
        return;
      }
    }
    this.big = (this.big ?? BigInt(this.small)) - BigInt(text);
  }

  value(): bigint {
    return this.big ?? BigInt(this.small);
  }

  text(): string {
    return this.big === null ? String(this.small) : this.big.toString();
  }
}
