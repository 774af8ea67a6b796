/**
 * How a committee writes amounts in words (its setting, kept on its row): the regional variants an
 * auditor's statement and a donor's receipt follow. The defaults are the standard ones. The words
 * themselves are made in reports/words.ts.
 */
export interface WordVariants {
  zeroTens: "linh" | "lẻ";
  thousand: "nghìn" | "ngàn";
}

export const DEFAULT_WORD_VARIANTS: Readonly<WordVariants> = Object.freeze({ zeroTens: "linh", thousand: "nghìn" });

export const ZERO_TENS_WORDS = ["linh", "lẻ"] as const;
export const THOUSAND_WORDS = ["nghìn", "ngàn"] as const;
