from branchmark.cli.main import main

main()
