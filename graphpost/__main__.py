from graphpost.cli import main

main()
