'use strict';
// node:https — the http module's shapes for TLS: Agent/globalAgent (port 443); request/get over
// HBF's outbound client (hbf:node/http_client); servers throw as in node:http.

const http = require('http');
const { unavailable } = require('hbf:node-errors');

class Agent extends http.Agent {
  constructor(options) {
    super(options);
    this.defaultPort = 443;
    this.protocol = 'https:';
  }
}

module.exports = {
  Agent,
  globalAgent: new Agent({ keepAlive: true }),
  request: (...args) => require('hbf:node/http_client').forProtocol('https:').request(...args),
  get: (...args) => require('hbf:node/http_client').forProtocol('https:').get(...args),
  createServer: unavailable('https', 'createServer'),
  Server: unavailable('https', 'Server'),
};
