"""Counter pads: the RS-485 call-pad, evaluator and counter-display bus.

Pure protocol code (``frames_v1``, ``frames_legacy``, ``legacy_keys``, ``keys``), the v1
polling bus master (``master``) and the simulator shipped in the product (``simulator``).
"""
