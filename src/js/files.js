// Inline file bytes for `loadFile` (files.rs): base64 text → a Blob. No I/O.

/**
 * A Blob of base64 `data` (standard or URL-safe alphabet, padding and line breaks optional) typed
 * `type` (or untyped), or undefined when `data` is not base64.
 */
export function blobOfBase64(data, type) {
  let text = data.replace(/[\s]/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/=]/.test(text)) return undefined;
  text = text.replace(/=+$/, "");
  text += "=".repeat((4 - (text.length % 4)) % 4);
  let binary;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], type ? { type } : {});
}
