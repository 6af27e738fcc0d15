// The promise an exported async method returns, made here rather than by wasm-bindgen-futures'
// `future_to_promise`: wasm keeps only the promise's `resolve` function (a rejection resolves
// it with a rejected promise), not `resolve` and `reject`. One function less per pending call:
// ~70 B of JS heap for each of 10,000 parked waits. One function, so the glue imports this
// module once (bundlers warn about a repeated import key). No logic here.

/** A pending promise and its resolve function, as `[promise, resolve]`. */
export function deferred() {
  let settle;
  const promise = new Promise((resolve) => {
    settle = resolve;
  });
  return [promise, settle];
}
