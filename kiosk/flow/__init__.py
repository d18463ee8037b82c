"""The kiosk's flows, without Qt: one controller per flow over a small shared router.

| module | what it owns |
|---|---|
| `router` | the screen shown, busy, language and elder mode, the idle timer, change events |
| `hall` | what the hub says: link, catalog and board (services, opening hours), nearby data |
| `results` | the outcome of the last ticket or check-in, and refusals, on their screens |
| `tickets` | taking a ticket: categories, search, the service, the 绿色通道 question |
| `checkin` | appointment check-in: the code keypad, scanned QR codes and identity cards |
| `arrival` | a phone ticket (云叫号) checked in: its QR code, or its number and phone tail |
| `nearby` | 智能导航: other halls for a service, nearest, fastest or best |
| `access` | 长辈模式 and the language, and the spoken guidance of elder mode |
| `printer` | the printer watched while idle: 暂停取号 while it cannot print |
| `technician` | the PIN, printer status and test page, reprints, the scanner test, devices |

`kiosk.model.KioskModel` is the composition root: it builds them, routes scans and keys to
the flow of the screen shown, and ticks them. No controller holds the root; each is given
the router and the few others it works with.
"""
