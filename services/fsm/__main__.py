from services.fsm.server import main

main()
