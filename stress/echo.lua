-- wrk script: POST /echo with a small JSON body.
wrk.method = "POST"
wrk.body = '{"name":"tobi","tags":["a","b"],"n":42}'
wrk.headers["Content-Type"] = "application/json"
