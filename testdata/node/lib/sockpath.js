'use strict';
// The article's socket path rule: on Windows the same path becomes a named
// pipe, \\.\pipe\<path with / replaced by ->.
module.exports = function sockPath(p) {
    if (process.platform === 'win32' && !p.startsWith('\\\\')) {
        p = p.replace(/^\//, '');
        p = p.replace(/\//g, '-');
        p = '\\\\.\\pipe\\' + p;
    }
    return p;
};
