// Assertions are for bugs: a failed one crashes loudly. Expected failures
// (bad input, business rules) are LedgerErrors with a result code instead.
export class AssertionFailed extends Error {
  override name = "AssertionFailed";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}
