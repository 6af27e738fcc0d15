// The promise an exported async method returns, made here rather than by wasm-bindgen-futures'
// `future_to_promise`: wasm keeps only the promise's `resolve` function (a rejection resolves
// it with a rejected promise), not `resolve` and `reject`. One function less per pending call:
// ~70 B of JS heap for each of 10,000 parked waits. One exported function, so the glue imports
// this module once (bundlers warn about a repeated import key).
//
// A short call (submit, cancel, list, ...) asks for its call site: the stack is captured when the
// call is made, and a rejection's error gets it as its `stack` — the user's frames, not the wasm
// ones the error is built in. The waits do not (each would keep its stack while pending), nor
// `get` (the status read a polling loop repeats; the capture costs ~8 µs).

/** A pending promise and its resolve function `(outcome, error?)`, as `[promise, resolve]`. */
export function deferred(callSite) {
  let settle;
  const promise = new Promise((resolve) => {
    settle = resolve;
  });
  if (!callSite) return [promise, settle];
  const at = new Error();
  return [promise, (outcome, error) => {
    if (error instanceof Error) error.stack = withCallSite(error, at);
    settle(outcome);
  }];
}

/** `error`'s first line, then the frames of `at` after polyjob's own (its glue and wasm). */
function withCallSite(error, at) {
  const frames = String(at.stack ?? "").split("\n").slice(1);
  let first = 0;
  while (first < frames.length && /wasm:\/\/|wasm-function|deferred|__wbg|polyjob(_bg)?\.js|\/polyjob\//.test(frames[first])) first++;
  return [`${error.name}: ${error.message}`, ...frames.slice(first)].join("\n");
}
