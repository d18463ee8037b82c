"""The hub's protocol on the hall bus: topics, commands, replies, schemas and the client
every role uses. Library layer: imports no role."""
