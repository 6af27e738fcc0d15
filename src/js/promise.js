// The promise an exported async method returns, made here rather than by wasm-bindgen-futures'
// `future_to_promise`: wasm keeps only the promise's `resolve` function (a rejection resolves
// it with a rejected promise), not `resolve` and `reject`. One function less per pending call:
// ~70 B of JS heap for each of 10,000 parked waits. No logic here.

/** The promise made by the last `deferred()`, until `takePromise()` hands it over. */
let made;

/** Makes a pending promise (kept for `takePromise`) and returns its resolve function. */
export function deferred() {
  let settle;
  made = new Promise((resolve) => {
    settle = resolve;
  });
  return settle;
}

/** The promise of the last `deferred()` call. */
export function takePromise() {
  const promise = made;
  made = undefined;
  return promise;
}
