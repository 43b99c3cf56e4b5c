// The everything MCP server on a Unix socket: node socket.mjs SOCKPATH
// runs one server (stdio) per connection, its stdin and stdout the
// connection's, for the tests that speak MCP over a socket (sockscope
// send). Prints "listening" once clients may connect.
import net from "node:net";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const [sock] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const server = path.join(here, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");

net.createServer((conn) => {
  const child = spawn(process.execPath, [server, "stdio"], { stdio: ["pipe", "pipe", "ignore"] });
  conn.pipe(child.stdin);
  child.stdout.pipe(conn);
  conn.on("error", () => {});
  child.stdin.on("error", () => {});
  conn.on("close", () => child.kill());
  child.on("exit", () => conn.end());
}).listen(sock, () => console.log("listening"));
