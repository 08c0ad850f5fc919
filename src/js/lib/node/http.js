'use strict';
// node:http — what middleware needs: STATUS_CODES, METHODS, IncomingMessage and
// ServerResponse (constructors whose prototypes are HBF's request and response objects, so
// `req instanceof http.IncomingMessage` holds), Agent/globalAgent, OutgoingMessage,
// validateHeaderName/validateHeaderValue, maxHeaderSize.
// Left out: servers (createServer and Server throw: export an express() app from server.js
// instead), and, until HBF's outbound HTTP engine provides them, request/get/ClientRequest
// (they throw, pointing at fetch()).

const EventEmitter = require('events');
const { withCode, unavailable } = require('hbf:node-errors');

const METHODS = ['ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND',
  'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND',
  'UNLINK', 'UNLOCK', 'UNSUBSCRIBE'];

const express = require('express');
const STATUS_CODES = express.__STATUS_CODES; // (express.js's table)
// HBF's request/response prototypes (express.js), as Node's constructors.
const reqProto = Object.getPrototypeOf(express.request);
const resProto = Object.getPrototypeOf(express.response);
function IncomingMessage() { throw withCode(Error, 'ERR_HBF_UNAVAILABLE', 'http.IncomingMessage cannot be constructed in HBF: requests come from the server'); }
IncomingMessage.prototype = reqProto;
function ServerResponse() { throw withCode(Error, 'ERR_HBF_UNAVAILABLE', 'http.ServerResponse cannot be constructed in HBF: responses come from the server'); }
ServerResponse.prototype = resProto;
function OutgoingMessage() { EventEmitter.call(this); }
Object.setPrototypeOf(OutgoingMessage.prototype, EventEmitter.prototype);

class Agent extends EventEmitter {
  constructor(options = {}) {
    super();
    this.options = { path: null, ...options };
    this.keepAlive = !!options.keepAlive;
    this.keepAliveMsecs = options.keepAliveMsecs || 1000;
    this.maxSockets = options.maxSockets || Infinity;
    this.maxFreeSockets = options.maxFreeSockets || 256;
    this.maxTotalSockets = options.maxTotalSockets || Infinity;
    this.defaultPort = 80;
    this.protocol = 'http:';
    this.requests = Object.create(null);
    this.sockets = Object.create(null);
    this.freeSockets = Object.create(null);
  }
  destroy() {}
  getName(options = {}) { return `${options.host || 'localhost'}:${options.port || ''}:${options.localAddress || ''}`; }
}

const TOKEN_RE = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
function validateHeaderName(name, label = 'Header name') {
  if (typeof name !== 'string' || !name || !TOKEN_RE.test(name)) {
    throw withCode(TypeError, 'ERR_INVALID_HTTP_TOKEN', `${label} must be a valid HTTP token ["${name}"]`);
  }
}
function validateHeaderValue(name, value) {
  if (value === undefined) throw withCode(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${value}" for header "${name}"`);
  if (/[^\t\x20-\x7e\x80-\xff]/.test(String(value))) throw withCode(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
}

function notYet(name) {
  return function () {
    throw withCode(Error, 'ERR_HBF_UNAVAILABLE', `${name} is not available in HBF yet: use fetch() for outbound HTTP`);
  };
}

module.exports = {
  STATUS_CODES,
  METHODS,
  IncomingMessage,
  ServerResponse,
  OutgoingMessage,
  Agent,
  globalAgent: new Agent({ keepAlive: true }),
  maxHeaderSize: 16384,
  validateHeaderName,
  validateHeaderValue,
  request: notYet('http.request'),
  get: notYet('http.get'),
  ClientRequest: notYet('http.ClientRequest'),
  createServer: unavailable('http', 'createServer'),
  Server: unavailable('http', 'Server'),
  setMaxIdleHTTPParsers() {},
};
