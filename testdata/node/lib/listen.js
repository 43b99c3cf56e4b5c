'use strict';
// listen starts server on path (a named pipe on Windows: sockpath),
// removing a socket left there first, ends the process on SIGINT and
// SIGTERM, and prints "listening" once it takes connections: what the
// tests wait for.
const fs = require('fs');
const sockPath = require('./sockpath');

module.exports = function listen(server, path) {
    const p = sockPath(path);
    if (fs.existsSync(p)) {
        fs.unlinkSync(p);
    }
    function shutdown() {
        server.close();
        process.exit(0);
    }
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    server.listen(p, () => console.log('listening'));
};
