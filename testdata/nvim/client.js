// The official Neovim Node client (npm "neovim") against `nvim --listen
// SOCK`: a few calls, one that fails, a notification from the server.
// Prints one line per result and "done"; exits 1 on anything unexpected.
const { attach } = require('neovim');

// say writes a line: the client replaces console.log with its logger.
const say = (...a) => process.stdout.write(a.join(' ') + '\n');

async function main() {
  const nvim = attach({ socket: process.argv[2] });
  const notified = new Promise((resolve) => {
    nvim.on('notification', (method, args) => {
      if (method === 'sockscope-ev') resolve(args);
    });
  });
  say('eval', await nvim.eval('1+2'));
  await nvim.command('let g:sockscope = "héllo"');
  say('var', await nvim.getVar('sockscope'));
  const buf = await nvim.buffer;
  await buf.setLines(['one', 'two'], { start: 0, end: -1, strictIndexing: false });
  say('lines', (await buf.lines).join(','));
  try {
    await nvim.command('NoSuchCommand');
    say('no error');
    process.exit(1);
  } catch (e) {
    say('error', String(e.message).includes('E492'));
  }
  await nvim.subscribe('sockscope-ev');
  await nvim.command('call rpcnotify(0, "sockscope-ev", 1, "two")');
  say('notified', JSON.stringify(await notified));
  say('done');
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
