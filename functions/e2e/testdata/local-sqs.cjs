// Starts local-aws-sqs (an SQS-compatible server, MIT) on loopback for the
// fan-out test: node local-sqs.cjs MODULE_DIR PORT. It prints "ready" once
// it listens, and runs until it is killed.
const { createSqsServer } = require(process.argv[2]);
createSqsServer({ port: Number(process.argv[3]), hostname: "127.0.0.1", emulateQueueCreationLifecycle: false })
  .then(() => console.log("ready"))
  .catch((err) => { console.error(err); process.exit(1); });
