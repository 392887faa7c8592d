module akuma/gocheck

go 1.19
