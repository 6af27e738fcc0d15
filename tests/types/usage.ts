// Uses every public API of `polyjob` under `tsc --noEmit --strict` (scripts/test-runtimes.sh copies
// this folder next to the installed tarball). Nothing here runs: it only has to type-check, and its
// type-level assertions prove the .d.ts has no `any` where the shape is known.
import {
  JobClient,
  PolyjobError,
  JobStream,
  JobWatch,
  WebhookDeduper,
  isTerminal,
  loadFile,
  verifyWebhook,
  verifyWebhookSync,
  type Amount,
  type Capabilities,
  type Cost,
  type Model,
  type ModelsOptions,
  type CallOptions,
  type ClientStats,
  type ErrorCode,
  type FileInput,
  type FileRole,
  type InputValue,
  type Job,
  type JobClientOptions,
  type JobFile,
  type JobStatus,
  type LoadFileOptions,
  type ProviderName,
  type RealtimeOptions,
  type SubmitRequest,
  type SubmitRequestFor,
  type DeapiSubmitRequest,
  type ModelSubmitRequest,
  type ServiceSubmitRequest,
  type TerminalStatus,
  type VerifyRequestOptions,
  type VerifyWebhookOptions,
  type DeapiVerifyWebhookOptions,
  type OptexityVerifyWebhookOptions,
  type Via,
  type WaitOptions,
} from "polyjob";
import init, { initSync, JobClient as WebJobClient, loadFile as webLoadFile } from "polyjob/web";
import defaultExport from "polyjob";

// ---- type-level helpers ---------------------------------------------------------------------
type IsAny<T> = 0 extends 1 & T ? true : false;
type IsUnknown<T> = unknown extends T ? (IsAny<T> extends true ? false : true) : false;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Not<T extends boolean> = T extends true ? false : true;
/** True when a function type has an `any` parameter or result. */
type HasAny<F> = F extends (...args: infer A) => infer R
  ? true extends { [I in keyof A]-?: IsAny<A[I]> }[number]
    ? true
    : IsAny<R>
  : IsAny<F>;
type MembersWithAny<C> = { [K in keyof C]-?: HasAny<C[K]> extends true ? K : never }[keyof C];

export type Checks = [
  Expect<Equal<Job["status"], JobStatus>>,
  Expect<Equal<Job["provider"], ProviderName>>,
  Expect<Equal<Job["progress"], number | null>>,
  Expect<IsUnknown<Job["raw"]>>,
  Expect<IsUnknown<Job["result"]>>,
  Expect<Equal<Job["error"], { code: string | null; message: string } | null>>,
  Expect<Equal<JobStatus, "PENDING" | "QUEUED" | "PROCESSING" | "STREAMING" | "FINISHED" | "FAILED" | "TIMEOUT" | "CANCELLED" | "UNKNOWN">>,
  Expect<Equal<TerminalStatus, "FINISHED" | "FAILED" | "TIMEOUT" | "CANCELLED">>,
  Expect<Equal<ProviderName, "socaity" | "optexity" | "deapi" | "serika">>,
  Expect<Equal<Via, "auto" | "poll" | "realtime" | "stream">>,
  Expect<Equal<PolyjobError["code"], ErrorCode>>,
  // A client is typed by its provider: its requests and its `provider` follow it.
  Expect<Equal<SubmitRequestFor<"deapi">, DeapiSubmitRequest>>,
  Expect<Equal<SubmitRequestFor<"serika">, ModelSubmitRequest>>,
  Expect<Equal<SubmitRequestFor<ProviderName>, SubmitRequest>>,
  Expect<Equal<Parameters<JobClient<"deapi">["submit"]>[0], DeapiSubmitRequest>>,
  Expect<Equal<JobClient<"socaity">["provider"], "socaity">>,
  Expect<Equal<ReturnType<JobClient["wait"]>, Promise<Job>>>,
  Expect<Equal<ReturnType<JobClient["list"]>, Promise<Job[]>>>,
  Expect<Equal<SubmitRequestFor<"socaity">, ModelSubmitRequest | ServiceSubmitRequest>>,
  Expect<Equal<Job["serviceUrl"], string | undefined>>,
  Expect<Equal<Parameters<JobClient["get"]>, [target: string | Job, options?: CallOptions]>>,
  Expect<Equal<Parameters<JobClient["cancel"]>, [target: string | Job, options?: CallOptions]>>,
  Expect<Equal<Parameters<JobClient["run"]>, [request: SubmitRequest, options?: WaitOptions]>>,
  Expect<Equal<NonNullable<WaitOptions["onUpdate"]>, (job: Job) => void>>,
  Expect<Equal<MembersWithAny<JobClient>, never>>,
  Expect<Equal<MembersWithAny<JobWatch>, never>>,
  Expect<Equal<MembersWithAny<JobStream>, never>>,
  Expect<Equal<MembersWithAny<WebhookDeduper>, never>>,
  Expect<Not<HasAny<typeof isTerminal>>>,
  Expect<Not<HasAny<typeof verifyWebhook>>>,
  Expect<Not<HasAny<typeof verifyWebhookSync>>>,
  Expect<Not<IsAny<ConstructorParameters<typeof JobClient>[0]>>>,
  Expect<Equal<typeof WebJobClient, typeof JobClient>>,
  // Files in and out (issue 17).
  Expect<Equal<Job["files"], JobFile[]>>,
  Expect<Equal<FileRole, "result" | "alternate" | "preview" | "download" | "screenshot">>,
  Expect<Equal<JobFile, { role: FileRole; url: string | null; data: string | null; contentType: string | null; fileName: string | null }>>,
  Expect<Equal<FileInput, Blob | ArrayBuffer | ArrayBufferView>>,
  Expect<Equal<Parameters<typeof loadFile>, [file: JobFile, options?: LoadFileOptions]>>,
  Expect<Equal<ReturnType<typeof loadFile>, Promise<Blob>>>,
  Expect<Equal<typeof webLoadFile, typeof loadFile>>,
  Expect<Not<HasAny<typeof loadFile>>>,
  Expect<Equal<NonNullable<JobClientOptions["maxResponseBytes"]>, number>>,
  Expect<Equal<NonNullable<JobClientOptions<"deapi">["apiVersion"]>, "v1" | "v2">>,
  Expect<Equal<NonNullable<JobClientOptions["apiVersion"]>, "v1" | "v2">>,
  Expect<Equal<Extract<ErrorCode, "TOO_LARGE">, "TOO_LARGE">>,
];

// ---- every call -------------------------------------------------------------------------------
declare const ws: new (url: string, protocols?: string | string[]) => unknown;

export async function everything(signal: AbortSignal, request: Request): Promise<void> {
  const realtime: RealtimeOptions = { clientId: "42", key: "k", wsUrl: "wss://example.test", authUrl: "https://example.test/auth", WebSocket: ws };
  const options: JobClientOptions = {
    provider: "deapi",
    apiKey: "key",
    baseUrl: "https://api.deapi.ai",
    fetch: (input, init) => fetch(input, init),
    headers: { "x-trace": "1" },
    pollIntervalMs: 500,
    maxPollIntervalMs: 5000,
    requestTimeoutMs: 60000,
    maxRetries: 3,
    maxConcurrentRequests: 16,
    maxResponseBytes: 16 * 1024 * 1024,
    realtime,
    apiVersion: "v2",
  };
  const client = new JobClient(options);
  const provider: ProviderName = client.provider;
  const baseUrl: string = client.baseUrl;
  const caps: Capabilities = client.capabilities;
  const can: boolean = caps.cancel && caps.list && caps.webhooks && caps.realtime && caps.streaming
    && caps.estimate && caps.balance && caps.models && caps.files;
  const stats: ClientStats = client.stats;
  const sent: number = stats.requests + stats.retries + stats.retriesDenied + stats.fallbacks;
  void [provider, baseUrl, can, sent];

  const req: SubmitRequest = { task: "txt2img", input: { prompt: "a fox" }, webhookUrl: "https://example.test/hook", webhookSecret: "s".repeat(32), idempotencyKey: "k1" };
  const first: Job = await client.submit(req);
  await client.submit({ model: "m", input: {} }, { signal, via: "poll" });
  const again: Job = await client.get(first.id);
  await client.get(first.id, { signal });
  const cancelled: Job = await client.cancel(first.id, { signal });
  const recent: Job[] = await client.list({ signal });
  const price: Amount = await client.estimate(req, { signal });
  const priceAmount: number = price.amount;
  const priceCurrency: string | null = price.currency;
  const balance: Amount = await client.balance({ signal });
  await client.balance();
  const modelsOptions: ModelsOptions = { signal, task: "txt2img" };
  const models: Model[] = await client.models(modelsOptions);
  await client.models();
  const model: Model = models[0];
  const modelFields: [string, string | null, string[], ProviderName, unknown] = [model.id, model.name, model.tasks, model.provider, model.raw];
  const cost: Cost | null = first.cost;
  const costFields: [number, string | null, boolean] | null = cost && [cost.amount, cost.currency, cost.estimated];
  const deapiPrice: Amount = await new JobClient({ provider: "deapi" }).estimate({ task: "img2img", input: { image: new Blob([]) } });
  // deAPI v2: a resource path as the task; the provider is still inferred from `provider`.
  const v2 = new JobClient({ provider: "deapi", apiKey: "k", apiVersion: "v2" });
  const v2Provider: "deapi" = v2.provider;
  const v2Job: Job = await v2.run({ task: "images/edits", input: { image: new Blob([]), prompt: "p", model: "m" } });
  const v2Cost: Cost | null = v2Job.cost;
  void [v2Provider, v2Cost, await v2.balance(), await v2.models({ task: "images/generations" })];
  void [priceAmount, priceCurrency, balance, modelFields, costFields, deapiPrice];
  const waitOptions: WaitOptions = {
    signal,
    via: "auto",
    timeoutMs: 120000,
    onUpdate: (job) => {
      const p: number | null = job.progress;
      const preview: string | null = job.preview;
      void [p, preview];
    },
  };
  const done: Job = await client.wait(first.id, waitOptions);
  const ran: Job = await client.run(req, { timeoutMs: 1000, via: "realtime" });
  await client.run(req);
  void [again, cancelled, recent, done, ran];

  // Files in: every FileInput kind, anywhere an InputValue goes (deAPI multipart).
  const picked: FileInput = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "photo.png", { type: "image/png" });
  const kinds: FileInput[] = [picked, new Blob(["x"]), new ArrayBuffer(8), new Uint8Array(8), new DataView(new ArrayBuffer(4)), new Float32Array(2)];
  const params: Record<string, InputValue> = {
    image: picked,
    images: kinds,
    prompt: "an oil painting",
    steps: 4,
    enhance: true,
    negative_prompt: null,
    skipped: undefined,
    when: new Date(),
    loras: [{ name: "style", weight: 0.7 }],
    url: new URL("https://example.test/a.png"),
  };
  const upload = { task: "img2img", input: { ...params, model: "Flux_2_Klein_4B_BF16" } } satisfies SubmitRequest;
  const uploaded: Job = await client.run(upload, { signal });

  // Files out: job.files and loadFile.
  const files: JobFile[] = uploaded.files;
  for (const file of files) {
    const role: FileRole = file.role;
    const where: string | null = file.url ?? file.data;
    const type: string | null = file.contentType;
    const name: string | null = file.fileName;
    if (role === "result" || role === "alternate" || role === "preview" || role === "download" || role === "screenshot") void [where, type, name];
  }
  const loadOptions: LoadFileOptions = { signal, fetch: (input, init) => fetch(input, init) };
  const resultFile: JobFile | undefined = files.find((f) => f.role === "result");
  if (resultFile) {
    const blob: Blob = await loadFile(resultFile, loadOptions);
    const bytes: ArrayBuffer = await blob.arrayBuffer();
    const again2: Blob = await loadFile(resultFile);
    const viaWeb: Blob = await webLoadFile(resultFile, { signal });
    void [bytes, again2, viaWeb];
  }

  // Narrowing by status.
  const status: JobStatus = done.status;
  if (isTerminal(status)) {
    const t: TerminalStatus = status;
    void t;
  } else {
    const live: "PENDING" | "QUEUED" | "PROCESSING" | "STREAMING" | "UNKNOWN" = status;
    void live;
  }
  switch (done.status) {
    case "FINISHED": {
      const url: string | null = done.resultUrl;
      const result: unknown = done.result;
      void [url, result];
      break;
    }
    case "FAILED":
      done.error?.message.toUpperCase();
      break;
    default:
      break;
  }
  const when: (string | null)[] = [done.createdAt, done.completedAt, done.estimatedCompletion];
  void when;
  isTerminal("anything at all");

  // Async iterators.
  for await (const job of client.watch(first.id, { signal })) {
    const s: JobStatus = job.status;
    void s;
  }
  const watch: JobWatch = client.watch(first.id);
  const step: IteratorResult<Job, undefined> = await watch.next();
  if (!step.done) step.value.id.toUpperCase();
  await watch.return();
  watch.free();

  const stream: JobStream = client.stream(first.id, { signal });
  for await (const chunk of client.stream({ model: "m", input: {} })) {
    const c: unknown = chunk;
    void c;
  }
  const chunk: IteratorResult<unknown, undefined> = await stream.next();
  void chunk;
  await stream.return();

  // Push channels.
  const delivered: number = client.notify(done);
  void delivered;
  const verifyOptions: VerifyWebhookOptions = {
    provider: "deapi",
    body: new Uint8Array(0),
    headers: { "x-deapi-signature": "sha256=..." },
    secret: "s",
    toleranceSec: 300,
    now: new Date(),
  };
  const fromHook: Job = await verifyWebhook(verifyOptions);
  const requestOptions: VerifyRequestOptions = { secret: "s", now: Date.now() };
  const fromRequest: Job = await verifyWebhook(request, requestOptions);
  const sync: Job = verifyWebhookSync({ provider: "deapi", body: "{}", headers: [["x-deapi-timestamp", "1"]], secret: "s" });
  const deapiOptions: DeapiVerifyWebhookOptions = { provider: "deapi", body: "{}", headers: {}, secret: "s" };
  const optexityOptions: OptexityVerifyWebhookOptions = { provider: "optexity", body: "{}", headers: { "x-api-key": "k" }, apiKey: "k" };
  const callback: Job = verifyWebhookSync(optexityOptions);
  const callbackAsync: Job = await verifyWebhook({ provider: "optexity", body: new Uint8Array(0), headers: [["authorization", "Basic dTpr"]], apiKey: "k" });
  const fromCallbackRequest: Job = await verifyWebhook(request, { provider: "optexity", apiKey: "k" });
  void [deapiOptions, callback, callbackAsync, fromCallbackRequest];
  const dedupe = new WebhookDeduper();
  const dedupeSmall = new WebhookDeduper(100);
  const fresh: boolean = dedupe.firstDelivery("delivery-1") && dedupeSmall.firstDelivery("delivery-2");
  void [fromHook, fromRequest, sync, fresh];

  // A client of a known provider takes that provider's request shape.
  const deapi = new JobClient({ provider: "deapi", apiKey: "k" });
  const deapiName: "deapi" = deapi.provider;
  await deapi.submit({ task: "img2img", model: "Flux_2_Klein_4B_BF16", input: { image: picked, prompt: "p" } });
  const socaity = new JobClient({ provider: "socaity" });
  await socaity.run({ model: "face2face", input: { source_img: picked } });
  void deapiName;

  // Errors: `instanceof PolyjobError` narrows an unknown catch value.
  try {
    await socaity.run({ model: "m", input: {} });
  } catch (e) {
    if (e instanceof PolyjobError) {
      const narrowed: ErrorCode = e.code;
      const cause: unknown = e.cause;
      switch (e.code) {
        case "JOB_FAILED":
          e.job?.status satisfies JobStatus | undefined;
          break;
        case "RATE_LIMITED":
          e.retryAfterMs satisfies number | undefined;
          break;
        default:
          break;
      }
      void [narrowed, cause];
    }
    const made = new PolyjobError("made by a test double", { code: "SERVER", status: 500 });
    void made;
  }
  try {
    await client.run(req);
  } catch (e) {
    const err = e as PolyjobError;
    const code: ErrorCode = err.code;
    const httpStatus: number | null = err.status;
    const from: ProviderName | null = err.provider;
    const retry: boolean = err.retryable;
    const attempts: number = err.attempts;
    const after: number | undefined = err.retryAfterMs;
    const failedJob: Job | undefined = err.job;
    const name: "PolyjobError" = err.name;
    if (err.code === "JOB_FAILED" && err.job) err.job.status satisfies JobStatus;
    if (err.code === "TOO_LARGE") {
      const tooLarge: "TOO_LARGE" = err.code;
      const limited: number | null = err.status; // 413 from the provider, null for a body over maxResponseBytes
      void [tooLarge, limited];
    }
    void [code, httpStatus, from, retry, attempts, after, failedJob, name];
  }

  // The default export (the module object) and the bare-page entry.
  const viaDefault: typeof JobClient = defaultExport.JobClient;
  void viaDefault;
  await init();
  await init({ module_or_path: new URL("https://example.test/polyjob_bg.wasm") });
  initSync({ module: new WebAssembly.Module(new Uint8Array(0)) });
  client.free();
}
