'use strict';
// The article's Server, ported: the socket path is an option instead of
// <tmpdir>/midway.sock.
const fs = require('fs');
const net = require('net');
const Client = require('./client');
const EventEmitter = require('events');
const sockPath = require('./sockpath');

class Server extends EventEmitter {
    constructor(options) {
        options = options || {};
        super();
        this.path = sockPath(options.path);
        this.server = net.createServer((socket) => this.handleConnection(socket));
    }

    listen(callback) {
        if (fs.existsSync(this.path)) {
            fs.unlinkSync(this.path);
        }
        this.server.listen(this.path, callback);
    }

    handleConnection(socket) {
        const client = new Client({
            socket: socket
        });
        client.on('message', (message) => {
            this.handleRequest(message, client);
        });
        this.emit('connect', client);
    }

    handleRequest(message, client) {
        this.emit('message', message, client);
    }
}

module.exports = Server;
