'use strict';
// jsonrpc-echo-stdio.js — jsonrpc-echo.js's server (lib/jsonrpc-echo.js) on
// stdin and stdout, a child to wrap: one JSON text per '\n' each way. Exits
// when stdin ends.
const serve = require('./lib/jsonrpc-echo');

serve(process.stdin, (m) => process.stdout.write(JSON.stringify(m) + '\n'));
process.stdin.on('end', () => process.exit(0));
console.error('jsonrpc-echo-stdio: ready');
