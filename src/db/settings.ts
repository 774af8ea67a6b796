import type { Knex } from "knex";

// A committee's own settings for its workspace, kept on its row (migration …000038).

/** Above this many đồng, the donation and payment forms ask the treasurer to confirm the amount. */
export async function confirmAbove(knex: Knex, committeeId: number): Promise<bigint> {
  const row = await knex("committees").where({ id: committeeId }).first("confirm_above_dong");
  return BigInt(row?.confirm_above_dong ?? 100_000_000);
}

export async function setConfirmAbove(knex: Knex, committeeId: number, dong: bigint): Promise<void> {
  await knex("committees").where({ id: committeeId }).update({ confirm_above_dong: dong.toString() });
}
