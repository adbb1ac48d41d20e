from usina.cli import main

main()
