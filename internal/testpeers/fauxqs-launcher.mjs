// Starts fauxqs (the npm package whose entry point is $FAUXQS_APP) listening
// on 127.0.0.1 only, on a port the system picks, and prints
// "fauxqs listening on http://127.0.0.1:PORT". fauxqs's own CLI binds
// 0.0.0.0, which tests must not do.
import { pathToFileURL } from "node:url";

const { buildApp } = await import(pathToFileURL(process.env.FAUXQS_APP).href);
const app = buildApp({
  logger: false,
  host: "127.0.0.1",
  defaultRegion: process.env.FAUXQS_REGION || "us-east-1",
});
const address = await app.listen({ host: "127.0.0.1", port: 0 });
console.log(`fauxqs listening on ${address}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}
