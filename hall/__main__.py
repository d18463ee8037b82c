from hall.cli.main import main

main()
