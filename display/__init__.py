"""The display role: the waiting-hall screen and the spoken calls.

- `calls`, `model`, `layout`: what the screen shows and how large, pure (tested without Qt);
- `feed`: the hall bus to the display (retained board, live calls, link), no Qt;
- `speech`, `health`: the announcer from the config, and its health to the hub;
- `widgets`, `view`, `app`: the Qt window and the app that wires it all (GUI thread);
- `cli`, `runner`: `hall display`; `demo`, `render`: the hook for `hall demo --headless`.
"""
