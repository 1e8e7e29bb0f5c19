/**
 * The real device-tree tools the FDT tests check against (Debian's device-tree-compiler:
 * `dtc`, `fdtdump`, `fdtget`, `fdtput`), fed through stdin or a temp file that is always
 * removed.
 *
 * @module
 */

/** What a tool printed. */
export interface ToolOutput {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

/** Runs `cmd args` with `input` on stdin. */
export async function runTool(
  cmd: string,
  args: string[],
  input?: Uint8Array | string,
): Promise<ToolOutput> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    bytes: out.stdout,
  };
}

/** `dtc -I dtb -O dts` of `blob` (`-f`: despite check errors); throws when dtc fails. */
export async function dtcDecompile(blob: Uint8Array, force = false): Promise<ToolOutput> {
  const out = await runTool("dtc", ["-I", "dtb", "-O", "dts", ...(force ? ["-f"] : [])], blob);
  if (out.code !== 0) throw new Error(`dtc -I dtb failed (${out.code}): ${out.stderr}`);
  return out;
}

/** `dtc -I dts -O dtb` of `source`; throws when dtc fails. */
export async function dtcCompile(source: string): Promise<Uint8Array> {
  const out = await runTool("dtc", ["-I", "dts", "-O", "dtb"], source);
  if (out.code !== 0) throw new Error(`dtc -I dts failed (${out.code}): ${out.stderr}`);
  return out.bytes;
}

/** Runs `tool [args...] <file> [rest...]` on `blob` written to a temp file; returns the file after. */
export async function withBlobFile(
  blob: Uint8Array,
  fn: (path: string) => Promise<void>,
): Promise<Uint8Array> {
  const path = await Deno.makeTempFile({ prefix: "xlite-fdt-", suffix: ".dtb" });
  try {
    await Deno.writeFile(path, blob);
    await fn(path);
    return await Deno.readFile(path);
  } finally {
    await Deno.remove(path);
  }
}

/** `fdtdump` of `blob` (its fixed banner on stderr is dropped). */
export async function fdtdump(blob: Uint8Array): Promise<ToolOutput> {
  let out: ToolOutput | undefined;
  await withBlobFile(blob, async (path) => {
    out = await runTool("fdtdump", [path]);
  });
  const stderr = out!.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("****"))
    .join("\n");
  return { ...out!, stderr };
}
