// Validates a HAR file against the HAR 1.2 JSON Schema (har-validator,
// har-schema): node check.js FILE. Prints each entry's method, URL,
// status and httpVersion, one a line; exits 1 with the schema's errors
// when the file is not valid HAR.
const fs = require('fs')
const validate = require('har-validator')

const har = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
validate.har(har).then(() => {
  for (const e of har.log.entries) {
    console.log([e.request.method, e.request.url, e.response.status, e.response.httpVersion].join(' '))
  }
}, (err) => {
  console.error(JSON.stringify(err.errors, null, 1))
  process.exit(1)
})
