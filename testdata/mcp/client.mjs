// The official MCP TypeScript SDK client, with sockscope as the server's
// command: node client.mjs SOCKSCOPE RECORDING. sockscope wraps the
// everything server (stdio). Prints one JSON line of what it saw.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { fileURLToPath } from "node:url";
import path from "node:path";

const [sockscope, recording] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const server = path.join(here, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");

const transport = new StdioClientTransport({
  command: sockscope,
  args: ["-w", recording, "--", process.execPath, server, "stdio"],
  env: { ...process.env },
  stderr: "pipe",
});
let stderr = "";
transport.stderr?.on("data", (d) => { stderr += d; });
const client = new Client({ name: "sockscope-test", version: "1.0.0" });
await client.connect(transport);

const tools = await client.listTools();
const names = tools.tools.map((t) => t.name);
const echo = await client.callTool({ name: "echo", arguments: { message: "hello" } });
const calls = 100;
const many = await Promise.all(
  Array.from({ length: calls }, (_, i) =>
    client.callTool({ name: "get-sum", arguments: { a: i, b: 1000 } })),
);
const sums = many.map((r) => r.content[0].text);
const wrong = sums.filter((s, i) => !s.endsWith(`is ${i + 1000}.`));
await client.close();
console.log(JSON.stringify({
  server: client.getServerVersion(),
  tools: names,
  echo: echo.content[0].text,
  calls,
  wrong,
  stderr,
}));
