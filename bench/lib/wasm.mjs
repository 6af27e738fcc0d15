// A small WebAssembly reader for "where the bytes go": section sizes, and code bytes per function
// from the name section (Rust's legacy-mangled or plain names), grouped by crate / polyjob module.
// No dependency on twiggy or wasm-opt.

function reader(buf) {
  let pos = 0;
  const u8 = () => buf[pos++];
  const leb = () => { let r = 0, shift = 0, b; do { b = buf[pos++]; r += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return r; };
  const str = () => { const n = leb(); const s = buf.toString("utf8", pos, pos + n); pos += n; return s; };
  return { u8, leb, str, get pos() { return pos; }, set pos(p) { pos = p; } };
}

const SECTION = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"];

/** { sections: [{name, bytes}], functions: [{index, name, bytes}] } of a wasm module. */
export function parseWasm(buf) {
  const r = reader(buf);
  r.pos = 8;
  const sections = [];
  let importedFuncs = 0;
  const bodies = [];
  const names = new Map();
  while (r.pos < buf.length) {
    const id = r.u8();
    const size = r.leb();
    const start = r.pos;
    let name = SECTION[id] ?? `id${id}`;
    if (id === 0) {
      name = `custom:${r.str()}`;
      if (name === "custom:name") {
        while (r.pos < start + size) {
          const sub = r.u8(); const len = r.leb(); const end = r.pos + len;
          if (sub === 1) { const n = r.leb(); for (let k = 0; k < n; k++) { const idx = r.leb(); names.set(idx, r.str()); } }
          r.pos = end;
        }
      }
    } else if (id === 2) {
      const n = r.leb();
      for (let k = 0; k < n; k++) {
        r.str(); r.str();
        const kind = r.u8();
        if (kind === 0) { r.leb(); importedFuncs++; }
        else if (kind === 1) { r.u8(); const f = r.u8(); r.leb(); if (f & 1) r.leb(); }
        else if (kind === 2) { const f = r.u8(); r.leb(); if (f & 1) r.leb(); }
        else if (kind === 3) { r.u8(); r.u8(); }
        else if (kind === 4) { r.u8(); r.leb(); }
      }
    } else if (id === 10) {
      const n = r.leb();
      for (let k = 0; k < n; k++) { const s = r.leb(); bodies.push(s + 1); r.pos += s; }
    }
    r.pos = start + size;
    sections.push({ name, bytes: size });
  }
  const functions = bodies.map((bytes, k) => ({ index: importedFuncs + k, name: names.get(importedFuncs + k) ?? `func[${importedFuncs + k}]`, bytes }));
  return { sections, functions, hasNames: names.size > 0 };
}

/** Path segments of a Rust symbol (legacy `_ZN...E` mangling or already demangled). */
export function rustPath(sym) {
  let s = sym;
  if (s.startsWith("_R")) {
    // v0 mangling: the first crate root `C[s<disambiguator>_]<len><name>`, then the path's
    // identifiers in order (enough to group by crate and module).
    const m = /C(?:s[0-9A-Za-z]*_)?(\d+)/.exec(s);
    if (!m) return [s];
    const parts = [];
    let i = m.index + m[0].length - m[1].length;
    while (i < s.length && parts.length < 6) {
      const d = /^(\d+)_?/.exec(s.slice(i));
      if (!d) { const nx = /\d+[A-Za-z_]/.exec(s.slice(i)); if (!nx) break; i += nx.index; continue; }
      const n = Number(d[1]);
      parts.push(s.slice(i + d[0].length, i + d[0].length + n));
      i += d[0].length + n;
    }
    return parts;
  }
  if (s.startsWith("_ZN")) {
    const parts = [];
    let i = 3;
    while (i < s.length && s[i] !== "E") {
      let j = i; while (s[j] >= "0" && s[j] <= "9") j++;
      const n = Number(s.slice(i, j)); if (!n) break;
      parts.push(s.slice(j, j + n)); i = j + n;
    }
    s = parts.join("::").replace(/\$LT\$/g, "<").replace(/\$GT\$/g, ">").replace(/\$u20\$/g, " ").replace(/\$RF\$/g, "&")
      .replace(/\$C\$/g, ",").replace(/\$u7b\$/g, "{").replace(/\$u7d\$/g, "}").replace(/\$u27\$/g, "'").replace(/\$BP\$/g, "*").replace(/\.\./g, "::");
  }
  // `<T as Trait>::f` and `<T>::f`: count the bytes to T's crate.
  s = s.replace(/^_?</, "").replace(/^&(mut )?/, "").replace(/^dyn /, "");
  return s.split("::").map((p) => p.replace(/\[[0-9a-f]+\]$/, ""));
}

/** The group a function's bytes count to: `polyjob::<area>::<module>`, else its crate. */
export function groupOf(name) {
  const p = rustPath(name);
  if (p[0] === "polyjob") return p.slice(0, 3).join("::").replace(/ as .*$/, "").replace(/<.*$/, "");
  if (/^func\[/.test(name)) return "(unnamed)";
  if (/^[A-Z]( as |$)/.test(p[0])) return "(generic <T as Trait> impls)";
  if (["core", "alloc", "std", "js_sys", "wasm_bindgen"].includes(p[0]) && p[1]) return `${p[0]}::${p[1].replace(/<.*$/, "").replace(/ as .*$/, "")}`;
  if (/^__wbindgen|^__wbg|^wasm_bindgen/.test(p[0])) return "wasm_bindgen";
  return (p[0] || name).replace(/<.*$/, "").replace(/ as .*$/, "") || name;
}
