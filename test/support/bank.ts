// The sample bank statements (../shared/data, described in its README) and what each must give.
export const samples = process.env.SOQUY_SAMPLE_DATA ?? "/work/shared/data";
export const sampleFile = (name: string) => `${samples}/bank-${name}-sample.csv`;
export const sampleFacts = {
  vcb: { account: "0011009990001", opening: 10_847_182_843n, closing: 12_541_372_595n, lines: 2001, checks: 10, fees: 1 },
  agribank: { account: "1500201088888", opening: 5_239_241_555n, closing: 5_733_449_431n, lines: 1000, checks: 1000, fees: 0 },
  vietinbank: { account: "113000666888", opening: 0n, closing: 800_038_546n, lines: 1000, checks: 0, fees: 0 },
} as const;
