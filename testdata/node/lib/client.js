'use strict';
// The article's Client, ported: the socket path is an option instead of
// <tmpdir>/midway.sock (os.tmpDir() is gone from current Node).
const net = require('net');
const Parser = require('./parser');
const EventEmitter = require('events');
const sockPath = require('./sockpath');

class Client extends EventEmitter {
    constructor(options) {
        options = options || {};
        super();
        if (options.socket) {
            this.socket = options.socket;
        } else {
            this.socket = net.connect(sockPath(options.path));
        }
        this.bind();
    }

    bind() {
        const parser = new Parser();
        const socket = this.socket;
        socket.on('data', (buf) => {
            parser.feed(buf);
        });

        parser.on('message', (message) => {
            this.emit('message', message);
        });
        this.parser = parser;
    }

    send(message) {
        this.socket.write(this.parser.encode(message));
    }
}

module.exports = Client;
