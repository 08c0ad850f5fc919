'use strict';
// node:https — the http module's shapes for TLS: Agent/globalAgent (port 443); request/get
// until the outbound HTTP engine lands, and servers, throw as in node:http.

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
  request: function request() { throw Object.assign(new Error('https.request is not available in HBF yet: use fetch() for outbound HTTP'), { code: 'ERR_HBF_UNAVAILABLE' }); },
  get: function get() { throw Object.assign(new Error('https.get is not available in HBF yet: use fetch() for outbound HTTP'), { code: 'ERR_HBF_UNAVAILABLE' }); },
  createServer: unavailable('https', 'createServer'),
  Server: unavailable('https', 'Server'),
};
