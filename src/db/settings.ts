import type { Knex } from "knex";
import { DEFAULT_WORD_VARIANTS, THOUSAND_WORDS, ZERO_TENS_WORDS, type WordVariants } from "../ledger/wording.js";

// A committee's own settings for its workspace and documents, kept on its row (migrations …000038, …000050).

/** Above this many đồng, the donation and payment forms ask the treasurer to confirm the amount. */
export async function confirmAbove(knex: Knex, committeeId: number): Promise<bigint> {
  const row = await knex("committees").where({ id: committeeId }).first("confirm_above_dong");
  return BigInt(row?.confirm_above_dong ?? 100_000_000);
}

/** How the committee writes amounts in words on its statements and receipts ("linh"/"lẻ", "nghìn"/"ngàn"). */
export async function wordVariants(knex: Knex, committeeId: number): Promise<WordVariants> {
  const row = await knex("committees").where({ id: committeeId }).first("words_zero_tens", "words_thousand");
  return wordVariantsOf(row?.words_zero_tens, row?.words_thousand);
}

/** The threshold and the words in one UPDATE: a form's settings are kept together or not at all. */
export async function saveSettings(knex: Knex, committeeId: number, o: { confirmAboveDong: bigint; words: WordVariants }): Promise<void> {
  await knex("committees").where({ id: committeeId })
    .update({ confirm_above_dong: o.confirmAboveDong.toString(), words_zero_tens: o.words.zeroTens, words_thousand: o.words.thousand });
}

/** The variants a row holds (the database's check keeps them to these words; anything else reads as the default). */
export function wordVariantsOf(zeroTens: unknown, thousand: unknown): WordVariants {
  return {
    zeroTens: ZERO_TENS_WORDS.find((w) => w === zeroTens) ?? DEFAULT_WORD_VARIANTS.zeroTens,
    thousand: THOUSAND_WORDS.find((w) => w === thousand) ?? DEFAULT_WORD_VARIANTS.thousand,
  };
}
