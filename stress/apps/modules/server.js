// The module benchmark app: Express + 5 npm packages (cors, helmet, zod, dayjs, lodash),
// installed with npm into node_modules next to it (stress/bench_modules.sh does it).
const express = require('express');
const cors = require('cors');
const helmet = require('helmet');
const { z } = require('zod');
const dayjs = require('dayjs');
const _ = require('lodash');

const app = express();
app.use(cors());
app.use(helmet());
const Query = z.object({ name: z.string().min(1).default('world'), n: z.coerce.number().int().default(3) });
app.get('/hello', (req, res) => res.send('Hello, world!'));
app.get('/json', (req, res) => {
  const q = Query.parse(req.query);
  res.json({ greeting: 'Hello, ' + q.name, day: dayjs('2024-02-28').add(q.n, 'day').format('YYYY-MM-DD'), chunks: _.chunk(_.range(q.n * 2), 2) });
});
module.exports = app;
