"""The application layer: the composed config, the `hall` command, the technician's tools
(ops), the demo and the report. It sits above every role; nothing below imports it."""
