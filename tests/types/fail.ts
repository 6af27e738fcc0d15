// Must NOT compile: every line marked `// expect-error TSnnnn` has to fail with that code, and no
// other line may fail (scripts/test-runtimes.sh checks both, plus tsc's non-zero exit).
import { JobClient, isTerminal, loadFile, verifyWebhookSync, type FileRole, type Job, type JobStatus, type PolyjobError } from "polyjob";

export async function wrong(job: Job, err: PolyjobError): Promise<void> {
  new JobClient({ provider: "replicate", apiKey: "k" }); // expect-error TS2322
  const status: JobStatus = "COMPLETED"; // expect-error TS2322
  if (job.status === "DONE") return; // expect-error TS2367
  const client = new JobClient({ provider: "deapi" });
  await client.wait(42); // expect-error TS2345
  await client.run({ task: "txt2img", input: {} }, { via: "websocket" }); // expect-error TS2322
  job.progress.toFixed(2); // expect-error TS18047
  if (err.code === "OOPS") return; // expect-error TS2367
  if (isTerminal(job.status) && job.status === "PROCESSING") return; // expect-error TS2367
  if (job.files[0].role === "thumbnail") return; // expect-error TS2367
  const role: FileRole = "image"; // expect-error TS2322
  await loadFile(job.resultUrl); // expect-error TS2345
  new JobClient({ provider: "deapi", maxResponseBytes: "64 MiB" }); // expect-error TS2322
  if (err.code === "PAYLOAD_TOO_LARGE") return; // expect-error TS2367
  await client.submit({ model: "Flux1schnell", input: {} }); // expect-error TS2345
  await new JobClient({ provider: "serika" }).run({ task: "txt2img", input: {} }); // expect-error TS2322
  const named: "socaity" = client.provider; // expect-error TS2322
  verifyWebhookSync({ provider: "optexity", body: "{}", headers: {}, apiKey: "k", secret: "k" }); // expect-error TS2353
  await client.estimate({ model: "Flux1schnell", input: {} }); // expect-error TS2345
  await client.models({ task: 7 }); // expect-error TS2322
  if (job.cost !== null && job.cost.estimated === "yes") return; // expect-error TS2367
  const price: string = (await client.balance()).amount; // expect-error TS2322
  new JobClient({ provider: "deapi", apiVersion: "v3" }); // expect-error TS2322
  new JobClient({ provider: "serika", apiVersion: "v2" }); // expect-error TS2322
  void price;
  void named;
  void role;
  void status;
}
