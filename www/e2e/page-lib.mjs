// Helpers the e2e pages' module scripts share, as source text to put in a page:
// - b64(u8): the bytes as base64 (to hand them to the test through evaluate);
// - bytes(blob): a Blob's bytes;
// - onDisk(name): OPFS recording `name`'s part files in order, as one Blob: each part
//   as its last commit wrote it (the one being written reads as before it), read
//   straight from the directory, not through the library.
export const PAGE_HELPERS = `
  const b64 = (u) => {
    let s = '';
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const bytes = async (blob) => new Uint8Array(await blob.arrayBuffer());
  const onDisk = async (name) => {
    const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('media-recorder-producer')).getDirectoryHandle(name);
    const named = [];
    for await (const [n, h] of dir.entries()) if (/^\\d{6}\\.(webm|mp4|bin)$/.test(n)) named.push([n, h]);
    named.sort(([a], [b]) => (a < b ? -1 : 1));
    const files = [];
    for (const [, h] of named) files.push(await h.getFile());
    return new Blob(files);
  };
`;
