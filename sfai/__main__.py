from sfai.cli.main import main

main()
