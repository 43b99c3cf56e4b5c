'use strict';
// seed-server.js SOCKPATH [--plus1] — the article's demo server (Midway 5.0
// socket IPC), listening on SOCKPATH. Prints "listening" on stdout when ready.
// With --plus1 it is changed on purpose, for the replay tests: add answers
// one more than the sum; everything else stays the article's.
//
// The request handler is the article's, unchanged, so its quirks are real:
//   add(…)    sums its args at once (strings concatenate, JS style); no args
//             throws: {"success":false,"rid":N,"error":"Reduce of empty array…"}
//   time(…)   answers the product of its args after 1 s
//   echo(x)   answers x
//   boom()    a rejected promise: sends the Error object, i.e. {} with no rid,
//             and the request is never answered
//   never()   a promise that never settles: no reply at all
//   anything else: {"success":false,"rid":N}, no error field
// A line that is not JSON throws in the parser and takes the process down.
const Server = require('./lib/server');

const path = process.argv[2];
if (!path) {
    console.error('usage: node seed-server.js SOCKPATH [--plus1]');
    process.exit(2);
}
const plus = process.argv[3] === '--plus1' ? 1 : 0;

const server = new Server({ path: path });

const service = {
    add() {
        const args = [].slice.call(arguments);
        return args.slice().reduce(function(a, b) {
            return a + b;
        }) + plus;
    },

    time() {
        const args = [].slice.call(arguments);
        return new Promise((resolve, reject) => {
            setTimeout(() => {
                const ret = args.slice().reduce(function(a, b) {
                    return a * b;
                });
                resolve(ret);
            }, 1000);
        });
    },

    echo(x) {
        return x;
    },

    boom() {
        return new Promise((resolve, reject) => {
            setTimeout(() => reject(new Error('boom')), 50);
        });
    },

    never() {
        return new Promise(() => {});
    },
};

server.on('connect', (client) => {
    // Not in the article: without it a client that resets its connection
    // would crash the whole server with an unhandled 'error' event.
    client.socket.on('error', (err) => console.error('client:', err.message));
    client.send({
        action: 'register',
        methods: Object.keys(service)
    });
});

server.on('message', function(message, client) {
    let ret = { success: false, rid: message.rid };
    const method = message.method;
    if (service[method]) {
        try {
            const result = service[method].apply(service, message.args);
            ret.success = true;
            if (result.then) {
                return result.then((data) => {
                    ret.data = data;
                    client.send(ret);
                }).catch((err) => {
                    ret.success = false;
                    ret.error = err.message;
                    client.send(err);
                });
            }
            ret.data = result;
        } catch (err) {
            ret.error = err.message;
        }
    }
    client.send(ret);
});

function shutdown() {
    server.server.close(); // removes the socket file
    process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

server.listen(() => console.log('listening'));
