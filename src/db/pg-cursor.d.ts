// The part of pg-cursor (no types of its own) that src/db/statements.ts uses.
declare module "pg-cursor" {
  import type { Submittable } from "pg";

  interface CursorConfig {
    rowMode?: "array";
  }

  class Cursor<Row = unknown> implements Submittable {
    constructor(text: string, values?: readonly unknown[], config?: CursorConfig);
    submit: Submittable["submit"];
    read(rows: number): Promise<Row[]>;
    close(): Promise<void>;
  }

  export default Cursor;
}
