const { prefix } = require('../data/config.json');
module.exports = function greet(name) {
  return prefix + ', ' + name + '!';
};
