import { renderStatementPdf, type PdfStatementInput } from "../../reports/pdf.js";
import type { PreparedStatement } from "./builder.js";

/**
 * Renders a prepared statement as its PDF to out (and ends out): every caller (the API, the kept public files,
 * the CLI) gives the renderer the same parts, so none prints a statement without its split or its words.
 */
export function writeStatementPdf(st: PreparedStatement, out: NodeJS.WritableStream, extra: Pick<PdfStatementInput, "preparedBy" | "signatories" | "place" | "signedOn"> = {}): Promise<void> {
  return renderStatementPdf({
    header: st.header, totals: st.totals, summary: st.summary, digest: st.digest, lines: st.lines(), lineCount: st.totals.lines,
    people: st.people, words: st.words, ...extra,
  }, out);
}
