import { closeTestSoquy } from "./support/db.js";

// Root hook: close the shared database once every suite has run.
after(async () => {
  await closeTestSoquy();
});
